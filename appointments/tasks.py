"""Every background task, run by `manage.py db_worker` (django-tasks-db), and how each is queued.

Task arguments are ids only: patient data stays in the database, out of the task table. The
work itself is done by appointments.outbox; a task decides what to queue next (a retry, the next
sweep, the deliveries of new reminders). Services queue tasks once their transaction commits.

The database backend neither retries nor reclaims a task whose worker died, so delivery does
not rely on any single task: each notification gets a task when it commits (and another for each
retry), and a sweep task re-enqueues itself every OUTBOX_SWEEP_SECONDS to deliver whatever is
due, including notifications whose task was lost or whose worker crashed mid-send.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, router, transaction
from django.tasks import task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .models import NotificationStatus
from .outbox import delivery, waitlist_offers
from .outbox.holds import expire_due_holds
from .outbox.reminders import REMINDER_LEAD_TIME, queue_due_reminders

logger = logging.getLogger(__name__)

# Any constant 64-bit number: the advisory lock that keeps the sweep to one scheduled task.
SWEEP_LOCK_ID = 4_204_202_605


@task()
def deliver_notification(notification_id: int, *also: int) -> bool:
    """Send a notification if it is still due (a no-op when it was sent meanwhile).

    `also`: more of the same submission's notifications (its staff and patient emails), so that
    a submission queues one task, not one per email.
    """
    ids = [notification_id, *also]
    claimed = delivery.claim(notification_ids=ids, limit=len(ids))
    sent = [delivery.deliver(notification) for notification in claimed]
    _queue_retries(claimed)
    # The sweep re-queues itself; checking once a sweep interval that one is queued is plenty.
    # The worker checks, not the patient's request: a submission spends no queries on it.
    if cache.add("appointments:sweep-checked", 1, settings.OUTBOX_SWEEP_SECONDS):
        schedule_sweep()
    return any(sent)


@task()
def sweep_outbox() -> int:
    """Schedule the next sweep, then deliver all due notifications."""
    # Next sweep first: if this worker dies mid-sweep, the chain of sweeps still goes on.
    schedule_sweep()
    # Visit reminders ride on the sweep too, so a lost reminder job cannot lose a reminder.
    try:
        queue_due_reminders()
    except Exception:
        logger.exception("Could not queue visit reminders")
    try:
        waitlist_offers.end_passed_entries()
    except Exception:
        logger.exception("Could not end cancellation-list entries that have passed")
    # So do held times that ran out, in case their own job was lost.
    try:
        expire_due_holds()
    except Exception:
        logger.exception("Could not expire held times")
    return deliver_due()


@task()
def offer_freed_time(visit_change_id: int) -> int:
    """A cancellation or move freed a time: offer it to the cancellation list (how many)."""
    created = waitlist_offers.offer_freed_time(visit_change_id)
    enqueue_deliveries(created)
    return len(created)


@task()
def queue_visit_reminders() -> int:
    """The reminder job (queued for each visit's start minus 24 hours): how many were created."""
    created = queue_due_reminders()
    transaction.on_commit(lambda: enqueue_deliveries(created))
    return len(created)


@task()
def expire_holds() -> int:
    """The hold-expiry job (queued for each hold's end): frees every held time that ran out
    and queues the patients' emails; how many emails."""
    created = expire_due_holds()
    transaction.on_commit(lambda: enqueue_deliveries(created))
    return len(created)


def deliver_due(*, limit: int = 200) -> int:
    """Deliver everything due now and queue the retries of failed sends; how many were sent."""
    tried = delivery.deliver_all_due(limit=limit)
    _queue_retries(tried)
    return sum(notification.status == NotificationStatus.SENT for notification in tried)


def _queue_retries(notifications) -> None:
    for notification in notifications:
        if delivery.needs_retry(notification):
            enqueue_delivery(notification.pk, run_after=notification.next_attempt_at)


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


def enqueue_deliveries(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        enqueue_delivery(notification_id)


def _tasks_share_the_transaction() -> bool:
    """Whether a task queued now is written in the caller's open transaction."""
    return (
        isinstance(deliver_notification.get_backend(), DatabaseBackend)
        and transaction.get_connection(
            router.db_for_write(DBTaskResult)
        ).in_atomic_block
    )


def enqueue_with_rows(notification_ids: list[int]) -> None:
    """One delivery task for these new notifications, committed with them or not at all.

    With the database backend the task row goes into the caller's transaction: the worker can
    only see it once the notifications are committed, and a rolled-back submission leaves no
    task behind. An error here fails the caller's transaction, as any of its writes would.
    With another backend the task is queued once the transaction commits (a failure to queue
    is then left to the sweep).
    """
    if not notification_ids:
        return
    if _tasks_share_the_transaction():
        deliver_notification.enqueue(*notification_ids)
    else:
        transaction.on_commit(lambda: _enqueue_quietly(notification_ids))


def _enqueue_quietly(notification_ids: list[int]) -> None:
    try:
        deliver_notification.enqueue(*notification_ids)
    except Exception:
        logger.exception(
            "Could not queue notifications %s; the sweep will", notification_ids
        )


def schedule_sweep() -> None:
    """Make sure exactly one future sweep is queued (idempotent, safe to call from anywhere)."""
    if not isinstance(sweep_outbox.get_backend(), DatabaseBackend):
        return
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


def queue_reminder_job(visit) -> None:
    """Queue the reminder job for the moment this visit's reminder becomes due."""
    try:
        queue_visit_reminders.using(
            run_after=max(visit.starts_at - REMINDER_LEAD_TIME, timezone.now())
        ).enqueue()
    except Exception:
        logger.exception("Could not queue the reminder job for visit %s", visit.pk)


def queue_waitlist_offers(visit_change_id: int) -> None:
    """Queue the offers of the time this cancellation or move freed."""
    try:
        offer_freed_time.enqueue(visit_change_id)
    except Exception:
        logger.exception(
            "Could not queue the cancellation-list offers for change %s",
            visit_change_id,
        )


def queue_hold_expiry_job(visit) -> None:
    """Queue the expiry job for the moment this visit's hold runs out (none without an end)."""
    if visit.hold_expires_at is None:
        return
    try:
        expire_holds.using(run_after=visit.hold_expires_at).enqueue()
    except Exception:
        logger.exception("Could not queue the hold expiry job for visit %s", visit.pk)
