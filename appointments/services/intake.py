"""What the public forms store: requests and messages with their notifications, exactly once."""

import uuid

from django.db import IntegrityError, transaction

from ..models import (
    SPAM,
    AppointmentRequest,
    ContactMessage,
    MessageStatus,
    RequestStatus,
    StatusChange,
    Submission,
)
from .outbox import queue_submission_notifications
from .patients import find_or_create_patient


def _patient_for(fields: dict):
    return find_or_create_patient(
        name=fields["name"],
        phone=fields.get("phone") or "",
        email=fields.get("email") or "",
        preferred_contact_method=fields.get("preferred_contact_method", ""),
    )


def _create_once(model, *, submission_token: uuid.UUID, spam_reason: str, fields):
    """Create the submission for this token, or return the one an earlier post created.

    The unique constraint on the token is what makes a double click, a refresh or twenty
    concurrent posts end with one row: the losers of the race get IntegrityError and read the
    winner's row.
    """
    spam = {"status": SPAM, "spam_reason": spam_reason} if spam_reason else {}
    for _ in range(5):
        try:
            with transaction.atomic():
                # Spam makes no patient record: a bot is nobody's patient.
                patient = None if spam else _patient_for(fields)
                submission = model.objects.create(
                    submission_token=submission_token, patient=patient, **fields, **spam
                )
                if not spam:
                    queue_submission_notifications(submission)
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
def release_from_spam(*, submission: Submission, by=None) -> StatusChange | None:
    """“Not spam”: the submission joins the queue as new and is notified if it never was.

    The one path for requests and messages alike, whether the spam checks caught it (never
    notified) or staff marked it (notified when it arrived). For a request, the step is kept in
    its status history and returned; None for a message or when it was not spam.
    """
    locked = type(submission).objects.select_for_update().get(pk=submission.pk)
    if not locked.is_spam:
        return None
    is_request = isinstance(locked, AppointmentRequest)
    locked.status = RequestStatus.NEW if is_request else MessageStatus.NEW
    locked.spam_reason = ""
    locked.save(update_fields=["status", "spam_reason", "updated_at"])
    change = None
    if is_request:
        change = StatusChange.objects.create(
            appointment_request=locked,
            from_status=RequestStatus.SPAM,
            to_status=RequestStatus.NEW,
            changed_by=by,
        )
        AppointmentRequest.objects.filter(pk=locked.pk).update(
            status_changed_at=change.changed_at
        )
    if locked.patient_id is None:
        locked.patient = _patient_for(
            {
                "name": locked.name,
                "phone": locked.phone,
                "email": locked.email,
                "preferred_contact_method": getattr(
                    locked, "preferred_contact_method", ""
                ),
            }
        )
        locked.save(update_fields=["patient", "updated_at"])
    if not locked.notifications.exists():
        queue_submission_notifications(locked)
    submission.status, submission.spam_reason = locked.status, ""
    return change
