import datetime

import pytest
from django.utils import timezone

from appointments.models import Notification
from appointments.tasks import queue_visit_reminders
from tests.factories import make_visit
from tests.support.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_sends_one_reminder_even_when_the_job_was_queued_twice(
    practice, worker, smtp_sink
):
    smtp_sink.clear()
    now = timezone.now()
    visit = make_visit(
        starts_at=now + datetime.timedelta(hours=20),
        created_at=now - datetime.timedelta(days=4),
    )

    queue_visit_reminders.enqueue()
    queue_visit_reminders.enqueue()

    def reminder_sent():
        return list(
            Notification.objects.filter(kind="visit_reminder").values_list(
                "status", flat=True
            )
        ) == ["sent"]

    wait_for(reminder_sent, what="the reminder sent by the worker")
    queue_visit_reminders.enqueue()
    wait_for(lambda: not worker_has_work(), what="the worker to finish the third job")
    assert [(m["To"], m["Subject"]) for m in smtp_sink.messages()] == [
        (
            "jane@example.com",
            f"Reminder of your visit ({visit.appointment_request.reference})",
        )
    ]


def worker_has_work():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status__in=["READY", "RUNNING"], task_path__endswith="queue_visit_reminders"
    ).exists()
