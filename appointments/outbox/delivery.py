"""Delivering the notification outbox: claim, send, record, retry.

A notification is claimed by flipping it to "sending" with a lease (`locked_at`, `claimed_by`)
in a short transaction using SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never take
the same row. The mail is sent outside any transaction, then the outcome is recorded. A worker
that dies between claim and record leaves the row "sending"; once the lease runs out the row is
due again and another worker takes it. The price of never losing mail is that a crash after the
mail server accepted a message but before the outcome was recorded sends it once more.

A failed send is left pending with its next attempt's time on the row (and on the object passed
in); the caller queues the retry (appointments.tasks).
"""

import logging
import os
import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.utils import timezone

from ..models import Notification, NotificationStatus
from .emails import render

logger = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"[:64]
BACKOFF_CAP_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base… after the 1st, 2nd, 3rd failure, capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_CAP_SECONDS))


def claim(*, notification_ids=None, limit: int = 20) -> list[Notification]:
    """Take up to `limit` due notifications for this worker (none that another worker holds)."""
    now = timezone.now()
    with transaction.atomic():
        due = Notification.objects.due(now)
        if notification_ids is not None:
            due = due.filter(pk__in=notification_ids)
        claimed = list(
            due.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk")[
                :limit
            ]
        )
        for notification in claimed:
            notification.status = NotificationStatus.SENDING
            notification.locked_at = now
            notification.claimed_by = WORKER_ID
            notification.attempts += 1
        Notification.objects.bulk_update(
            claimed, ["status", "locked_at", "claimed_by", "attempts", "updated_at"]
        )
    return claimed


def describe_failure(error: Exception, notification: Notification) -> str:
    """The mail server's answer for staff, without the recipient's address or other data."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        text = f"recipient refused ({', '.join(map(str, codes))})"
    elif isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        if isinstance(answer, bytes):
            answer = answer.decode("utf-8", "replace")
        text = f"{error.smtp_code} {answer}"
    else:
        text = str(error)
    text = text.replace(notification.recipient, "[recipient]")
    return f"{type(error).__name__}: {text}"[:300]


def deliver(notification: Notification) -> bool:
    """Send one claimed notification and record the outcome; True when it was sent."""
    try:
        mailers.default.send_messages([render(notification)])
    except Exception as error:
        _record_failure(notification, error)
        return False
    updated = Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.SENDING,
        claimed_by=notification.claimed_by,
    ).update(
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        locked_at=None,
        last_error="",
        updated_at=timezone.now(),
    )
    if not updated:
        # Our lease ran out and another worker took the row over mid-send.
        logger.warning(
            "Notification %s was taken over during its send", notification.pk
        )
    notification.status = NotificationStatus.SENT
    return True


def _record_failure(notification: Notification, error: Exception) -> None:
    now = timezone.now()
    gave_up = notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    notification.last_error = describe_failure(error, notification)
    notification.locked_at = None
    if gave_up:
        notification.status = NotificationStatus.FAILED
        logger.error(
            "Notification %s failed for good after %s attempts: %s",
            notification.pk,
            notification.attempts,
            type(error).__name__,
        )
    else:
        notification.status = NotificationStatus.PENDING
        notification.next_attempt_at = now + retry_delay(notification.attempts)
        logger.warning(
            "Notification %s failed (attempt %s), retrying at %s: %s",
            notification.pk,
            notification.attempts,
            notification.next_attempt_at.isoformat(),
            type(error).__name__,
        )
    Notification.objects.filter(
        pk=notification.pk, claimed_by=notification.claimed_by
    ).update(
        status=notification.status,
        next_attempt_at=notification.next_attempt_at,
        last_error=notification.last_error,
        locked_at=None,
        updated_at=now,
    )


def deliver_all_due(*, limit: int = 200) -> list[Notification]:
    """Deliver everything due now, in batches; returns each notification tried, with its outcome."""
    tried = []
    while len(tried) < limit:
        batch = claim(limit=min(20, limit - len(tried)))
        if not batch:
            break
        for notification in batch:
            deliver(notification)
        tried += batch
    return tried


def needs_retry(notification: Notification) -> bool:
    """A failed send that will be tried again (at notification.next_attempt_at)."""
    return notification.status == NotificationStatus.PENDING
