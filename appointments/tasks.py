"""Background work for the outbox, run by `manage.py db_worker` (django-tasks-db).

Task arguments are ids only: patient data stays in the database, out of the task table.

The database backend neither retries nor reclaims a task whose worker died, so delivery does
not rely on any single task: each notification gets a task when it commits (and another for each
retry), and a sweep task re-enqueues itself every OUTBOX_SWEEP_SECONDS to deliver whatever is
due, including notifications whose task was lost or whose worker crashed mid-send.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone

from . import outbox

logger = logging.getLogger(__name__)

# Any constant 64-bit number: the advisory lock that keeps the sweep to one scheduled task.
SWEEP_LOCK_ID = 4_204_202_605


@task()
def deliver_notification(notification_id: int) -> bool:
    """Send one notification if it is still due (a no-op when it was sent meanwhile)."""
    claimed = outbox.claim(notification_ids=[notification_id], limit=1)
    return any(outbox.deliver(notification) for notification in claimed)


@task()
def sweep_outbox() -> int:
    """Schedule the next sweep, then deliver all due notifications."""
    # Next sweep first: if this worker dies mid-sweep, the chain of sweeps still goes on.
    schedule_sweep()
    _queue_due_reminders()
    return outbox.deliver_due()


def _queue_due_reminders() -> None:
    # Visit reminders ride on the sweep too, so a lost reminder job cannot lose a reminder.
    from .workflow import queue_due_reminders

    try:
        queue_due_reminders()
    except Exception:
        logger.exception("Could not queue visit reminders")


def enqueue_delivery(
    notification_id: int, *, run_after: datetime | None = None
) -> None:
    """Queue a delivery task; if queueing fails, the sweep delivers the notification later."""
    try:
        if run_after is None:
            deliver_notification.enqueue(notification_id)
        else:
            deliver_notification.using(run_after=run_after).enqueue(notification_id)
    except Exception:
        logger.exception(
            "Could not queue notification %s; the sweep will", notification_id
        )


def _uses_database_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(sweep_outbox.get_backend(), DatabaseBackend)


def schedule_sweep() -> None:
    """Make sure exactly one future sweep is queued (idempotent, safe to call from anywhere)."""
    if not _uses_database_backend():
        return
    from django_tasks_db.models import DBTaskResult

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_ID])
            already_queued = DBTaskResult.objects.filter(
                status="READY", task_path=sweep_outbox.module_path
            ).exists()
            if not already_queued:
                run_after = timezone.now() + timedelta(
                    seconds=settings.OUTBOX_SWEEP_SECONDS
                )
                sweep_outbox.using(run_after=run_after).enqueue()
    except Exception:
        logger.exception("Could not schedule the outbox sweep")
