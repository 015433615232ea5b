"""Retention (manage.py purge_requests, appointments/services/retention.py): nothing a patient
sent outlives the retention period after it was last worked on, nor does anything naming it."""

import datetime
import io

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.models import (
    AppointmentRequest,
    ContactMessage,
    Notification,
    Patient,
    StatusChange,
    Visit,
    VisitChange,
)
from appointments.tasks import deliver_notification, sweep_outbox
from tests.factories import (
    make_appointment_request,
    make_contact_message,
    make_patient,
    make_staff_user,
    make_visit,
)

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - datetime.timedelta(days=400)
_names = iter(f"Patient Number{n}" for n in range(1000))


def purge(*args):
    out = io.StringIO()
    call_command("purge_requests", *args, stdout=out)
    return out.getvalue()


def aged(obj, **fields):
    """`obj` as if its timestamps (by default all of them) were set 400 days ago."""
    model = type(obj)
    names = fields or {
        name: LONG_AGO
        for name in ("created_at", "updated_at", "status_changed_at")
        if hasattr(obj, name)
    }
    model.objects.filter(pk=obj.pk).update(**names)
    obj.refresh_from_db()
    return obj


def old_request(status, **overrides):
    """A request from a patient of its own, its record as old as the request."""
    request = make_appointment_request(status=status, name=next(_names), **overrides)
    if request.patient:
        aged(request.patient)
    return aged(request)


def logged(obj):
    """The admin's log entry about `obj`, as a staff member's change writes it."""
    return LogEntry.objects.log_actions(
        user_id=make_staff_user().pk, queryset=[obj], action_flag=CHANGE
    )[0]


def log_entries_about(*objects):
    return {
        (entry.content_type.model, entry.object_id)
        for entry in LogEntry.objects.all()
        if (entry.content_type.model, entry.object_id)
        in {
            (ContentType.objects.get_for_model(obj).model, str(obj.pk))
            for obj in objects
        }
    }


def test_closed_requests_go_with_everything_that_hangs_on_or_names_them():
    closed = {
        status: old_request(status) for status in ["completed", "declined", "spam"]
    }
    request = closed["completed"]
    notification = Notification.objects.create(
        appointment_request=request, kind="staff_new_request", recipient="d@example.com"
    )
    visit = make_visit(
        appointment_request=request, starts_at=LONG_AGO, patient=request.patient
    )
    aged(visit, updated_at=LONG_AGO)
    VisitChange.objects.create(visit=visit, action="completed")
    StatusChange.objects.create(
        appointment_request=request, from_status="scheduled", to_status="completed"
    )
    task = deliver_notification.using(
        run_after=timezone.now() + datetime.timedelta(days=1)
    ).enqueue(notification.pk)
    logged(request), logged(visit), logged(request.patient)
    recent = make_appointment_request(status="completed", name="Recent Person")
    logged(recent)

    purge("--older-than", "365")

    assert list(AppointmentRequest.objects.all()) == [recent]
    assert (
        Notification.objects.count(),
        Visit.objects.count(),
        VisitChange.objects.count(),
        StatusChange.objects.count(),
        DBTaskResult.objects.filter(id=task.id).count(),
    ) == (0, 0, 0, 0, 0)
    # The admin's log no longer names them ("Patient N., 2025-10-27"); the recent one's stays.
    assert log_entries_about(request, visit, request.patient, recent) == {
        ("appointmentrequest", str(recent.pk))
    }
    # Their patients had nothing else: their records went too.
    assert list(Patient.objects.all()) == [recent.patient]


@pytest.mark.parametrize("status", ["new", "contacted", "scheduled"])
def test_a_request_left_open_goes_once_nothing_has_happened_to_it_for_the_period(
    status,
):
    old_request(status)
    recently_edited = old_request(status)
    aged(recently_edited, updated_at=timezone.now())

    output = purge("--older-than", "365")

    assert list(AppointmentRequest.objects.all()) == [recently_edited]
    assert "1 appointment requests" in output


def test_a_request_with_a_visit_still_to_come_is_kept_whatever_its_status():
    patient_requests = [old_request(status) for status in ["scheduled", "completed"]]
    for request in patient_requests:
        make_visit(
            appointment_request=request,
            patient=request.patient,
            starts_at=timezone.now() + datetime.timedelta(days=20),
        )
    moved_lately = old_request("completed")
    visit = make_visit(
        appointment_request=moved_lately,
        patient=moved_lately.patient,
        starts_at=LONG_AGO,
    )  # updated just now: someone worked on it

    purge("--older-than", "365")

    assert set(AppointmentRequest.objects.all()) == {*patient_requests, moved_lately}
    assert Visit.objects.filter(pk=visit.pk).exists()


def test_contact_messages_go_the_period_after_their_last_change_whatever_their_status():
    old = {}
    for status in ["new", "answered", "closed", "spam"]:
        message = make_contact_message(status=status, name=next(_names))
        if message.patient:
            aged(message.patient)
        old[status] = aged(message)
        Notification.objects.create(
            contact_message=message, kind="staff_new_message", recipient="d@example.com"
        )
        logged(message)
    recent = make_contact_message(name="Recent Sender")

    output = purge("--older-than", "365")

    assert list(ContactMessage.objects.all()) == [recent]
    assert Notification.objects.count() == 0
    assert log_entries_about(*old.values()) == set()
    assert "4 contact messages" in output


def test_a_patient_with_visits_booked_by_phone_is_kept_with_them():
    request = old_request("completed")
    patient = request.patient
    phoned_in = make_visit(patient=patient, starts_at=LONG_AGO, source="phone")
    aged(phoned_in, updated_at=LONG_AGO)

    purge("--older-than", "365")

    assert (
        AppointmentRequest.objects.count(),
        list(Patient.objects.all()),
        list(Visit.objects.all()),
    ) == (0, [patient], [phoned_in])


def test_a_patient_record_staff_worked_on_lately_is_kept():
    request = old_request("declined")
    Patient.objects.filter(pk=request.patient.pk).update(updated_at=timezone.now())
    lonely = aged(make_patient(name="Nobody Booked"))

    purge("--older-than", "365")

    assert list(Patient.objects.all()) == [request.patient]
    assert not Patient.objects.filter(pk=lonely.pk).exists()


def test_sessions_sign_in_records_and_task_results_go_on_the_same_schedule():
    now = timezone.now()
    Session.objects.create(
        session_key="expired-session-key-1",
        session_data="x",
        expire_date=now - datetime.timedelta(minutes=1),
    )
    live = Session.objects.create(
        session_key="live-session-key-12",
        session_data="x",
        expire_date=now + datetime.timedelta(minutes=30),
    )
    for model in (AccessAttempt, AccessLog):
        for username in ("guesser", "typo"):
            model.objects.create(
                username=username,
                ip_address="203.0.113.7",
                user_agent="x",
                http_accept="",
                path_info="/admin/login/",
                **({"failures_since_start": 1} if model is AccessAttempt else {}),
            )
        # A year ago (attempt_time is set on creation).
        model.objects.filter(username="guesser").update(attempt_time=LONG_AGO)
    finished = sweep_outbox.enqueue()
    DBTaskResult.objects.filter(id=finished.id).update(
        status="SUCCESSFUL", finished_at=LONG_AGO
    )
    waiting = sweep_outbox.using(run_after=now + datetime.timedelta(hours=1)).enqueue()

    purge("--older-than", "365")

    assert list(Session.objects.all()) == [live]
    assert [a.username for a in AccessAttempt.objects.all()] == ["typo"]
    assert [a.username for a in AccessLog.objects.all()] == ["typo"]
    assert [str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)] == [
        str(waiting.id)
    ]


def test_dry_run_counts_exactly_and_deletes_nothing():
    request = old_request("completed")
    logged(request)

    output = purge("--older-than", "365", "--dry-run")

    assert output.startswith("Dry run: would delete what was last worked on before ")
    assert "1 appointment requests" in output and "1 patients" in output
    assert "1 admin log entries" in output
    assert (AppointmentRequest.objects.count(), Patient.objects.count()) == (1, 1)
    assert log_entries_about(request) == {("appointmentrequest", str(request.pk))}


def test_without_older_than_the_practice_retention_period_applies(practice):
    old_request("completed")
    practice.request_retention_days = 500
    practice.save()
    purge()
    assert AppointmentRequest.objects.count() == 1

    practice.request_retention_days = 30
    practice.save()
    assert purge().startswith("Deleted what was last worked on before ")
    assert AppointmentRequest.objects.count() == 0


def test_nothing_is_deleted_when_no_retention_period_is_set(practice):
    old_request("completed")

    output = purge()

    assert output.startswith("No retention period: pass --older-than DAYS")
    assert AppointmentRequest.objects.count() == 1


def test_older_than_must_be_positive():
    with pytest.raises(CommandError, match="at least 1 day"):
        purge("--older-than", "0")


def test_the_daily_job_erases_readers_notes_after_ninety_days_even_without_a_period(
    practice,
):
    from education.models import ArticleFeedback
    from tests.factories import make_article

    article = make_article()
    old = ArticleFeedback.objects.create(
        article=article, is_useful=False, comment="My name is Jane, call 555-0123"
    )
    ArticleFeedback.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=91)
    )
    recent = ArticleFeedback.objects.create(
        article=article, is_useful=True, comment="Clear, thank you"
    )
    out = io.StringIO()

    call_command("purge_requests", stdout=out)  # no retention period set

    assert list(
        ArticleFeedback.objects.order_by("pk").values_list("pk", "is_useful", "comment")
    ) == [(old.pk, False, ""), (recent.pk, True, "Clear, thank you")]
    assert "Erased 1 reader note(s) older than 90 days" in out.getvalue()
