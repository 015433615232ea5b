"""Online booking's writes: a patient holds a time they picked; staff confirm or decline it.

`hold_time()` stores what the patient sent as an appointment request (as the request form does:
one per form token, spam kept aside) and a held visit for the time, in one transaction. The
exclusion constraint on visits decides a race: of two patients posting one time, the second
gets TimeTaken and nothing of theirs is stored. In the practice's "confirm at once for
returning patients" mode, a patient whose details match a record already seen (same name,
phone and email) gets a booked visit and its confirmation instead; the page they see is the
same either way, so nobody learns from it whether someone else is a patient.

Staff answer a hold with `confirm_hold()` (the normal confirmation with its calendar file) or
`decline_hold()` (a kind email with the phone number). Holds nobody answers expire in
appointments/outbox/holds.py.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import OnlineBooking, Practice

from ..models import (
    SPAM,
    AppointmentRequest,
    CallNeeded,
    Notification,
    NotificationKind,
    PatientType,
    Practitioner,
    RequestStatus,
    Visit,
    VisitChange,
    VisitSource,
    VisitStatus,
    VisitType,
)
from ..tasks import queue_hold_expiry_job, queue_reminder_job, queue_waitlist_offers
from .history import record_request_status, record_visit_change
from .outbox import deliver_after_commit, front_desk_email
from .patients import find_or_create_patient
from .schedule import (
    SchedulingError,
    VisitConflict,
    _drop_unsent_visit_mail,
    _locked_visit,
    _save_or_conflict,
    _tell_patient,
)


class TimeTaken(Exception):
    """Someone else has the time now (the exclusion constraint said so)."""

    def __init__(self, starts_at):
        super().__init__("That time was just taken.")
        self.starts_at = starts_at


class FormAlreadySent(Exception):
    """This form (its one-time token) has been sent before; `request` is what it created."""

    def __init__(self, request):
        super().__init__("This form has been sent already.")
        self.request = request


@dataclass(frozen=True)
class Hold:
    """What a hold submission did: the request stored and its visit (None for spam)."""

    appointment_request: AppointmentRequest
    visit: Visit | None


def is_returning_patient(patient, *, phone, email: str) -> bool:
    """A patient the practice has seen, whose record has this very phone and email.

    Both must match what is on file, so knowing someone's name and one of their numbers is
    not enough to book in their name at once.
    """
    return (
        bool(phone and email and patient.phone and patient.email)
        and patient.phone == phone
        and patient.email.lower() == email.lower()
        and patient.visits.filter(
            status__in=[VisitStatus.ARRIVED, VisitStatus.COMPLETED]
        ).exists()
    )


def hold_time(
    *,
    submission_token: uuid.UUID,
    spam_reason: str = "",
    visit_type: VisitType,
    practitioner: Practitioner,
    starts_at: datetime.datetime,
    practice=None,
    **fields,
) -> Hold:
    """Hold (or, for a returning patient in that mode, book) the time the patient picked.

    `fields` are the request's: patient_type, reason, note, name, phone, email,
    preferred_contact_method, the two consents, source_article(_slug).
    Raises FormAlreadySent for a token used before, TimeTaken when the time has gone.
    """
    practice = practice or Practice.get_current()
    existing = AppointmentRequest.objects.filter(
        submission_token=submission_token
    ).first()
    if existing is not None:
        raise FormAlreadySent(existing)
    day = timezone.localtime(starts_at).date()
    for _ in range(5):
        try:
            with transaction.atomic():
                if spam_reason:
                    # Spam holds no time and makes no patient record; staff may release it
                    # from the spam list, and then call the patient about the day they chose.
                    request = AppointmentRequest.objects.create(
                        submission_token=submission_token,
                        status=SPAM,
                        spam_reason=spam_reason,
                        preferred_dates=[day],
                        **fields,
                    )
                    return Hold(request, None)
                return _hold(
                    submission_token=submission_token,
                    visit_type=visit_type,
                    practitioner=practitioner,
                    starts_at=starts_at,
                    practice=practice,
                    fields=fields,
                )
        except IntegrityError:
            # A clash raises VisitConflict inside, so this is a unique constraint: the token's
            # (the same form posted twice at once: the first post's request stands) or a random
            # reference, the request's or the visit's, that another row has: draw again.
            existing = AppointmentRequest.objects.filter(
                submission_token=submission_token
            ).first()
            if existing is not None:
                raise FormAlreadySent(existing) from None
    raise RuntimeError("Could not draw a free reference")


def _hold(*, submission_token, visit_type, practitioner, starts_at, practice, fields):
    patient = find_or_create_patient(
        name=fields["name"],
        phone=fields.get("phone") or "",
        email=fields.get("email") or "",
        preferred_contact_method=fields.get("preferred_contact_method", ""),
    )
    confirm_at_once = (
        practice.online_booking == OnlineBooking.CONFIRM_RETURNING
        and fields.get("patient_type") == PatientType.RETURNING
        and is_returning_patient(
            patient, phone=fields.get("phone"), email=fields.get("email") or ""
        )
    )
    request = AppointmentRequest.objects.create(
        submission_token=submission_token,
        patient=patient,
        status=RequestStatus.SCHEDULED,
        preferred_dates=[timezone.localtime(starts_at).date()],
        **fields,
    )
    hold_length = practice.hold_length
    visit = Visit(
        patient=patient,
        practitioner=practitioner,
        visit_type=visit_type,
        duration=visit_type.duration,
        buffer=visit_type.buffer,
        source=VisitSource.ONLINE,
        appointment_request=request,
        starts_at=starts_at,
        status=VisitStatus.BOOKED if confirm_at_once else VisitStatus.HELD,
        hold_expires_at=None
        if confirm_at_once or hold_length is None
        else timezone.now() + hold_length,
    )
    try:
        _save_or_conflict(visit)
    except VisitConflict:
        raise TimeTaken(starts_at) from None
    record_visit_change(
        visit,
        VisitChange.Action.BOOKED if confirm_at_once else VisitChange.Action.HELD,
        by=None,
        note="Picked online by the patient.",
    )
    if confirm_at_once:
        kind, call = NotificationKind.VISIT_CONFIRMATION, CallNeeded.CONFIRM
    else:
        kind, call = NotificationKind.VISIT_HELD, CallNeeded.NONE
    notification_ids = _tell_patient(visit, kind, call)
    if address := front_desk_email():
        notification_ids.append(
            Notification.objects.create(
                appointment_request=request,
                visit=visit,
                kind=NotificationKind.STAFF_NEW_HOLD,
                recipient=address,
            ).pk
        )
    deliver_after_commit(notification_ids)
    if confirm_at_once:
        transaction.on_commit(lambda: queue_reminder_job(visit))
    else:
        transaction.on_commit(lambda: queue_hold_expiry_job(visit))
    return Hold(request, visit)


def _locked_hold(visit: Visit) -> Visit:
    locked = _locked_visit(visit)
    if not locked.is_held:
        raise SchedulingError(
            f"This visit is “{locked.get_status_display()}”, no longer held: "
            "there is nothing to confirm or decline."
        )
    return locked


@transaction.atomic
def confirm_hold(*, visit: Visit, by) -> Visit:
    """Book a held time: the patient gets the normal confirmation with its calendar file."""
    locked = _locked_hold(visit)
    locked.status = VisitStatus.BOOKED
    locked.hold_expires_at = None
    locked.save(update_fields=["status", "hold_expires_at", "updated_at"])
    record_visit_change(locked, VisitChange.Action.CONFIRMED, by=by)
    notification_ids = _tell_patient(
        locked, NotificationKind.VISIT_CONFIRMATION, CallNeeded.CONFIRM
    )
    deliver_after_commit(notification_ids)
    transaction.on_commit(lambda: queue_reminder_job(locked))
    _copy_status(locked, visit)
    return visit


@transaction.atomic
def decline_hold(*, visit: Visit, by, note: str = "") -> Visit:
    """Free a held time and tell the patient kindly, with the practice's phone number."""
    locked = _locked_hold(visit)
    _drop_unsent_visit_mail([locked])
    locked.status = VisitStatus.DECLINED
    locked.cancelled_at = timezone.now()
    locked.sequence += 1
    locked.call_needed = CallNeeded.NONE
    locked.save(
        update_fields=[
            "status",
            "cancelled_at",
            "sequence",
            "call_needed",
            "updated_at",
        ]
    )
    change = record_visit_change(locked, VisitChange.Action.DECLINED, by=by, note=note)
    # The freed time goes to the cancellation list, as a cancelled visit's does.
    transaction.on_commit(lambda: queue_waitlist_offers(change.pk))
    request = locked.appointment_request
    if request is not None:
        request = AppointmentRequest.objects.select_for_update().get(pk=request.pk)
        if (
            request.status == RequestStatus.SCHEDULED
            and not request.visits.booked().exists()
        ):
            record_request_status(request, RequestStatus.DECLINED, by=by)
    notification_ids = _tell_patient(
        locked, NotificationKind.HOLD_DECLINED, CallNeeded.TELL_CANCEL
    )
    deliver_after_commit(notification_ids)
    _copy_status(locked, visit)
    return visit


def _copy_status(locked: Visit, visit: Visit) -> None:
    if locked is not visit:
        for field in ("status", "hold_expires_at", "sequence", "call_needed"):
            setattr(visit, field, getattr(locked, field))
