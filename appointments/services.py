"""Writes with side effects: storing requests and messages with their notifications."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from clinic.models import Practice

from .models import (
    AppointmentRequest,
    ContactMessage,
    MessageStatus,
    Notification,
    NotificationKind,
    RequestStatus,
    Submission,
)
from .tasks import enqueue_delivery, schedule_sweep

logger = logging.getLogger(__name__)


def front_desk_email() -> str:
    practice = Practice.get_current()
    return (practice.email if practice else "") or settings.FRONT_DESK_EMAIL


def _queue_notifications(submission: Submission) -> list[Notification]:
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
    ids = [notification.pk for notification in notifications]
    transaction.on_commit(lambda: _enqueue_all(ids))
    return notifications


def _enqueue_all(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        enqueue_delivery(notification_id)
    # The sweep re-queues itself; checking it once a sweep interval is plenty, and spares
    # each submission the advisory lock under load.
    if cache.add("appointments:sweep-checked", 1, settings.OUTBOX_SWEEP_SECONDS):
        schedule_sweep()


def _create_once(model, *, submission_token: uuid.UUID, spam_reason: str, fields):
    """Create the submission for this token, or return the one an earlier post created.

    The unique constraint on the token is what makes a double click, a refresh or twenty
    concurrent posts end with one row: the losers of the race get IntegrityError and read the
    winner's row.
    """
    spam = {"is_spam": True, "spam_reason": spam_reason} if spam_reason else {}
    if spam:
        spam["status"] = RequestStatus.SPAM
    for _ in range(5):
        try:
            with transaction.atomic():
                submission = model.objects.create(
                    submission_token=submission_token, **fields, **spam
                )
                if not spam:
                    _queue_notifications(submission)
                return submission, True
        except IntegrityError:
            existing = model.objects.filter(submission_token=submission_token).first()
            if existing is not None:
                return existing, False
            # Otherwise the random reference collided with another row: draw again.
    raise RuntimeError("Could not draw a free reference")


def submit_appointment_request(
    *, submission_token: uuid.UUID, spam_reason: str = "", **fields
) -> tuple[AppointmentRequest, bool]:
    """Store an appointment request and queue its notifications; (request, created)."""
    return _create_once(
        AppointmentRequest,
        submission_token=submission_token,
        spam_reason=spam_reason,
        fields=fields,
    )


def submit_contact_message(
    *, submission_token: uuid.UUID, spam_reason: str = "", **fields
) -> tuple[ContactMessage, bool]:
    """Store a contact message and queue its notifications; (message, created)."""
    return _create_once(
        ContactMessage,
        submission_token=submission_token,
        spam_reason=spam_reason,
        fields=fields,
    )


@transaction.atomic
def release_from_spam(*, submission: Submission) -> None:
    """Staff's “Not spam”: the submission joins the normal queue and is notified as usual."""
    submission = type(submission).objects.select_for_update().get(pk=submission.pk)
    if not submission.is_spam:
        return
    submission.is_spam = False
    submission.spam_reason = ""
    submission.status = (
        RequestStatus.NEW
        if isinstance(submission, AppointmentRequest)
        else MessageStatus.NEW
    )
    submission.save(update_fields=["is_spam", "spam_reason", "status", "updated_at"])
    _queue_notifications(submission)
