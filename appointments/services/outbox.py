"""Putting emails in the outbox: rows created in the caller's transaction, tasks after commit.

A new submission's notifications are the exception: their one task row is written in the same
transaction when the task table is in this database (tasks.enqueue_with_rows).
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.models import Practice

from ..models import (
    AppointmentRequest,
    Notification,
    NotificationKind,
    NotificationStatus,
    Submission,
)
from ..tasks import enqueue_deliveries, enqueue_delivery, enqueue_with_rows

logger = logging.getLogger(__name__)


def front_desk_email() -> str:
    practice = Practice.get_current()
    return (practice.email if practice else "") or settings.FRONT_DESK_EMAIL


def deliver_after_commit(notification_ids: list[int]) -> None:
    """Queue these notifications' delivery tasks once the current transaction commits."""
    transaction.on_commit(lambda: enqueue_deliveries(notification_ids))


def queue_submission_notifications(submission: Submission) -> list[Notification]:
    """Create the submission's notifications (inside the caller's transaction)."""
    if isinstance(submission, AppointmentRequest):
        staff_kind = NotificationKind.STAFF_NEW_REQUEST
        patient_kind = NotificationKind.PATIENT_ACKNOWLEDGEMENT
        about = {"appointment_request": submission}
    else:
        staff_kind = NotificationKind.STAFF_NEW_MESSAGE
        patient_kind = NotificationKind.MESSAGE_ACKNOWLEDGEMENT
        about = {"contact_message": submission}
    notifications = []
    if staff_address := front_desk_email():
        notifications.append(
            Notification(kind=staff_kind, recipient=staff_address, **about)
        )
    else:
        logger.error(
            "No front-desk email (practice record or FRONT_DESK_EMAIL): %s %s not notified",
            submission._meta.verbose_name,
            submission.reference,
        )
    if submission.email:
        notifications.append(
            Notification(kind=patient_kind, recipient=submission.email, **about)
        )
    notifications = Notification.objects.bulk_create(notifications)
    # One task for all of them, in this transaction (tasks.enqueue_with_rows): a submission
    # is then its own rows and one task row, committed together.
    enqueue_with_rows([notification.pk for notification in notifications])
    return notifications


def send_again(notifications) -> int:
    """Staff's “send again”: failed or waiting notifications become due immediately."""
    ids = list(
        notifications.exclude(
            status__in=[NotificationStatus.SENT, NotificationStatus.SENDING]
        ).values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=ids).update(
        status=NotificationStatus.PENDING,
        next_attempt_at=timezone.now(),
        attempts=0,
        updated_at=timezone.now(),
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: enqueue_delivery(pk))
    return len(ids)
