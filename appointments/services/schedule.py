"""The schedule's writes: booking a visit or a series, moving, cancelling, marking what happened.

Each runs in one transaction. The exclusion constraint on visits has the last word on clashes,
whoever books (front desk, patient, two people at once): the loser gets VisitConflict naming
the visit in the way. Emails go through the outbox (rows created here, sent after commit);
a patient without an email is flagged for a call instead (Visit.call_needed).
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import Practice

from ..models import (
    SCHEDULABLE_STATUSES,
    AppointmentRequest,
    CallNeeded,
    Notification,
    NotificationKind,
    NotificationStatus,
    Patient,
    Practitioner,
    RequestStatus,
    Visit,
    VisitChange,
    VisitSeries,
    VisitSource,
    VisitStatus,
    VisitType,
    WaitlistStatus,
    new_reference,
)
from ..tasks import queue_reminder_job, queue_waitlist_offers
from .history import record_request_status, record_visit_change
from .outbox import deliver_after_commit, front_desk_email

OVERLAP_CONSTRAINT = "visit_practitioner_no_overlap"


class SchedulingError(Exception):
    """A step the front desk cannot take; the message says why, in staff's words."""


class VisitConflict(SchedulingError):
    """The practitioner is already booked then; `starts_at` says for which time."""

    def __init__(self, message, *, starts_at=None):
        super().__init__(message)
        self.starts_at = starts_at


def conflict_message(*, practitioner, starts_at, blocked_until) -> str:
    clash = (
        Visit.objects.blocking(starts_at, blocked_until)
        .filter(practitioner=practitioner)
        .select_related("appointment_request")
        .first()
    )
    if clash is None:
        return f"{practitioner} already has a visit at that time. Choose another time."
    return (
        f"{practitioner} already has a visit on {clash.time_in_words} "
        f"({clash.staff_label}). Choose another time or practitioner."
    )


def _save_or_conflict(visit: Visit) -> None:
    """Save the visit in a savepoint; a clash raises VisitConflict naming the other visit.

    A new visit whose random reference another visit already has draws a new one.
    """
    for _ in range(4):
        try:
            with transaction.atomic():
                visit.save()
            return
        except IntegrityError as error:
            if visit._state.adding and "visit_reference" in str(error):
                visit.reference = new_reference()
                continue
            if OVERLAP_CONSTRAINT not in str(error):
                raise
            raise VisitConflict(
                conflict_message(
                    practitioner=visit.practitioner,
                    starts_at=visit.starts_at,
                    blocked_until=visit.starts_at + visit.duration + visit.buffer,
                ),
                starts_at=visit.starts_at,
            ) from None
    raise RuntimeError("Could not draw a free visit reference")


def _tell_patient(visit: Visit, kind: str, call: str) -> list[int]:
    """Queue the patient's email about this visit, or flag the call when they have no email."""
    if not visit.patient.email:
        visit.call_needed = call
        visit.save(update_fields=["call_needed", "updated_at"])
        return []
    notification = Notification.objects.create(
        appointment_request=visit.appointment_request,
        visit=visit,
        visit_sequence=visit.sequence,
        kind=kind,
        recipient=visit.patient.email,
    )
    return [notification.pk]


def _drop_unsent_visit_mail(visits) -> None:
    """A moved or cancelled visit gets no earlier confirmation or reminder not yet sent."""
    Notification.objects.filter(
        visit__in=visits,
        kind__in=[
            NotificationKind.VISIT_CONFIRMATION,
            NotificationKind.VISIT_REMINDER,
            NotificationKind.VISIT_MOVED,
            NotificationKind.VISIT_SERIES_CONFIRMATION,
        ],
        status=NotificationStatus.PENDING,
    ).delete()


def _locked_request(appointment_request):
    if appointment_request is None:
        return None
    locked = AppointmentRequest.objects.select_for_update().get(
        pk=appointment_request.pk
    )
    if locked.status not in SCHEDULABLE_STATUSES:
        raise SchedulingError(
            f"A request that is “{locked.get_status_display()}” cannot be booked."
        )
    return locked


@dataclass
class Booking:
    """What a visit is: who, with whom, what kind, and how long."""

    patient: Patient
    practitioner: Practitioner
    visit_type: VisitType | None = None
    duration: datetime.timedelta | None = None
    source: str = VisitSource.PHONE
    appointment_request: AppointmentRequest | None = None

    def visit(self, starts_at, *, by, series=None) -> Visit:
        visit_type = self.visit_type
        return Visit(
            patient=self.patient,
            practitioner=self.practitioner,
            visit_type=visit_type,
            duration=visit_type.duration if visit_type else self.duration,
            buffer=visit_type.buffer if visit_type else datetime.timedelta(0),
            source=self.source,
            appointment_request=self.appointment_request,
            series=series,
            starts_at=starts_at,
            created_by=by,
        )


def _after_booking(visit: Visit, notification_ids: list[int]) -> None:
    deliver_after_commit(notification_ids)
    transaction.on_commit(lambda: queue_reminder_job(visit))


@transaction.atomic
def book_visit(*, booking: Booking, starts_at: datetime.datetime, by) -> Visit:
    """Book one visit and tell the patient (email with the calendar file, or a call to make)."""
    booking.appointment_request = _locked_request(booking.appointment_request)
    visit = booking.visit(starts_at, by=by)
    _save_or_conflict(visit)
    record_visit_change(visit, VisitChange.Action.BOOKED, by=by)
    _mark_request_scheduled(booking.appointment_request, by=by)
    notification_ids = _tell_patient(
        visit, NotificationKind.VISIT_CONFIRMATION, CallNeeded.CONFIRM
    )
    _after_booking(visit, notification_ids)
    return visit


@transaction.atomic
def book_series(
    *,
    booking: Booking,
    starts: list[datetime.datetime],
    description: str,
    by,
) -> VisitSeries:
    """Book every visit of a series, or none: the first clash undoes the whole series.

    The patient gets one email listing every time, with a calendar file per visit.
    """
    if not starts:
        raise SchedulingError("Choose at least one time to book.")
    booking.appointment_request = _locked_request(booking.appointment_request)
    series = VisitSeries.objects.create(
        patient=booking.patient, description=description[:200], created_by=by
    )
    visits = []
    for starts_at in sorted(starts):
        visit = booking.visit(starts_at, by=by, series=series)
        _save_or_conflict(visit)
        record_visit_change(visit, VisitChange.Action.BOOKED, by=by)
        visits.append(visit)
    _mark_request_scheduled(booking.appointment_request, by=by)
    first = visits[0]
    if booking.patient.email:
        notification_ids = _tell_patient(
            first, NotificationKind.VISIT_SERIES_CONFIRMATION, CallNeeded.CONFIRM
        )
    else:
        Visit.objects.filter(pk__in=[v.pk for v in visits]).update(
            call_needed=CallNeeded.CONFIRM
        )
        notification_ids = []
    deliver_after_commit(notification_ids)
    for visit in visits:
        transaction.on_commit(lambda visit=visit: queue_reminder_job(visit))
    return series


def _mark_request_scheduled(appointment_request, *, by) -> None:
    if appointment_request and appointment_request.status != RequestStatus.SCHEDULED:
        record_request_status(appointment_request, RequestStatus.SCHEDULED, by=by)


def _locked_visit(visit: Visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("patient", "practitioner")
        .get(pk=visit.pk)
    )


@transaction.atomic
def reschedule_visit(
    *, visit: Visit, starts_at: datetime.datetime, by, tell_patient: bool = True
) -> Visit:
    """Move a visit: the same calendar event (same UID, SEQUENCE + 1) at the new time."""
    locked = _locked_visit(visit)
    if locked.is_cancelled:
        raise SchedulingError("A cancelled visit cannot be moved: book a new one.")
    if locked.has_begun:
        raise SchedulingError("This visit has begun, so it can no longer be moved.")
    if starts_at <= timezone.now():
        raise SchedulingError("Choose a new time in the future.")
    if starts_at == locked.starts_at:
        raise SchedulingError("That is the visit's time already.")
    notification_ids = move_locked_visit(
        locked, starts_at, by=by, tell_patient=tell_patient
    )
    deliver_after_commit(notification_ids)
    _copy(locked, visit)
    return visit


def move_locked_visit(
    locked: Visit, starts_at: datetime.datetime, *, by, note="", tell_patient=True
) -> list[int]:
    """Move a visit the caller has locked: same UID, SEQUENCE + 1; VisitConflict on a clash.

    Returns the patient's notification ids for the caller to deliver after commit. The old
    time is offered to the cancellation list once the move commits.
    """
    was, sequence = locked.starts_at, locked.sequence
    locked.starts_at = starts_at
    locked.sequence += 1
    try:
        _save_or_conflict(locked)
    except VisitConflict:
        # The caller's copy stays as the database has it: the visit did not move.
        locked.starts_at, locked.sequence = was, sequence
        locked.ends_at = was + locked.duration
        locked.blocked_until = locked.ends_at + locked.buffer
        raise
    change = record_visit_change(
        locked, VisitChange.Action.RESCHEDULED, by=by, was=was, note=note
    )
    _drop_unsent_visit_mail([locked])
    notification_ids = (
        _tell_patient(locked, NotificationKind.VISIT_MOVED, CallNeeded.TELL_CHANGE)
        if tell_patient
        else []
    )
    transaction.on_commit(lambda: queue_reminder_job(locked))
    transaction.on_commit(lambda: queue_waitlist_offers(change.pk))
    return notification_ids


@transaction.atomic
def cancel_visit(
    *, visit: Visit, reason: str = "", by, tell_patient: bool = True
) -> Visit:
    """Cancel a visit and free its time; the patient's calendar removes it (METHOD:CANCEL)."""
    locked = _locked_visit(visit)
    if locked.is_cancelled:
        raise SchedulingError("This visit is cancelled already.")
    if locked.is_freed:
        raise SchedulingError(
            "This time is no longer held: there is nothing to cancel."
        )
    if locked.has_begun:
        raise SchedulingError(
            "This visit has begun, so it cannot be cancelled: mark it as a no-show instead."
        )
    _cancel(locked, reason=reason, by=by)
    notification_ids = []
    if tell_patient:
        told_before = locked.call_needed != CallNeeded.CONFIRM
        if locked.patient.email:
            notification_ids = _tell_patient(
                locked, NotificationKind.VISIT_CANCELLED, CallNeeded.TELL_CANCEL
            )
        elif told_before:
            locked.call_needed = CallNeeded.TELL_CANCEL
        else:
            # They were never told of it: there is nothing to take back.
            locked.call_needed = CallNeeded.NONE
    else:
        locked.call_needed = CallNeeded.NONE
    locked.save(update_fields=["call_needed", "updated_at"])
    deliver_after_commit(notification_ids)
    _copy(locked, visit)
    return visit


def _cancel(locked: Visit, *, reason: str, by) -> None:
    _drop_unsent_visit_mail([locked])
    locked.status = VisitStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancellation_reason = reason[:500]
    locked.sequence += 1
    locked.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancellation_reason",
            "sequence",
            "updated_at",
        ]
    )
    change = record_visit_change(
        locked, VisitChange.Action.CANCELLED, by=by, note=reason
    )
    # A cancelled booking needs no earlier time; the time it frees goes to those waiting.
    locked.waitlist_entries.filter(status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.CANCELLED, ended_at=timezone.now()
    )
    transaction.on_commit(lambda: queue_waitlist_offers(change.pk))
    request = locked.appointment_request
    if request is not None:
        request = AppointmentRequest.objects.select_for_update().get(pk=request.pk)
        still_booked = request.visits.booked().filter(ends_at__gt=timezone.now())
        if request.status == RequestStatus.SCHEDULED and not still_booked.exists():
            record_request_status(request, RequestStatus.CANCELLED, by=by)


# What staff may record from each state of a visit, once its day has come.
NEXT_STATES = {
    VisitStatus.BOOKED: [
        VisitStatus.ARRIVED,
        VisitStatus.COMPLETED,
        VisitStatus.NO_SHOW,
    ],
    VisitStatus.ARRIVED: [VisitStatus.COMPLETED, VisitStatus.NO_SHOW],
    VisitStatus.NO_SHOW: [VisitStatus.ARRIVED, VisitStatus.COMPLETED],
    VisitStatus.COMPLETED: [],
    VisitStatus.CANCELLED: [],
    # A held time is confirmed or declined first (services/online_booking.py).
    VisitStatus.HELD: [],
    VisitStatus.DECLINED: [],
    VisitStatus.EXPIRED: [],
}


@transaction.atomic
def mark_visit(*, visit: Visit, status: str, by) -> Visit:
    """Record that the patient arrived, the visit was completed, or the patient did not come."""
    locked = _locked_visit(visit)
    if status not in NEXT_STATES[locked.status]:
        raise SchedulingError(
            f"A visit that is “{locked.get_status_display()}” cannot be marked "
            f"“{VisitStatus(status).label}”."
        )
    if timezone.localtime(locked.starts_at).date() > timezone.localdate():
        raise SchedulingError("That can be recorded on the day of the visit.")
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    record_visit_change(locked, status, by=by)
    _copy(locked, visit)
    return visit


@transaction.atomic
def mark_patient_called(*, visit: Visit, by) -> Visit:
    """The front desk has phoned the patient about the visit (they have no email)."""
    locked = _locked_visit(visit)
    if locked.call_needed:
        note = CallNeeded(locked.call_needed).label
        locked.call_needed = CallNeeded.NONE
        locked.save(update_fields=["call_needed", "updated_at"])
        record_visit_change(locked, VisitChange.Action.CALLED, by=by, note=note)
    _copy(locked, visit)
    return visit


class PatientCancel:
    """What the patient's cancel link did."""

    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    HAS_BEGUN = "has_begun"
    TOO_LATE = "too_late"


def late_cancel_deadline(visit: Visit, practice=None) -> datetime.datetime | None:
    """From when the patient must call rather than cancel online (None: until it begins)."""
    practice = practice or Practice.get_current()
    hours = practice.late_cancel_hours if practice else None
    if not hours:
        return None
    return visit.starts_at - datetime.timedelta(hours=hours)


def cancel_visit_by_patient(*, visit: Visit, reason: str = "") -> str:
    """The patient's cancel link: free the time and tell the front desk (a PatientCancel)."""
    with transaction.atomic():
        locked = _locked_visit(visit)
        # Declined or expired holds no longer have their time either: nothing to cancel.
        if locked.is_freed:
            return PatientCancel.ALREADY_CANCELLED
        if locked.has_begun:
            return PatientCancel.HAS_BEGUN
        deadline = late_cancel_deadline(locked)
        if deadline is not None and timezone.now() >= deadline:
            return PatientCancel.TOO_LATE
        # A time held online was never confirmed, so no calendar file was ever sent: the
        # patient is told it is let go, with no cancellation for their calendar to apply.
        was_held = locked.status == VisitStatus.HELD
        _cancel(locked, reason=reason, by=None)
        locked.call_needed = CallNeeded.NONE
        locked.save(update_fields=["call_needed", "updated_at"])
        notification_ids = _tell_patient(
            locked,
            NotificationKind.HOLD_RELEASED
            if was_held
            else NotificationKind.VISIT_CANCELLED,
            CallNeeded.NONE,
        )
        if address := front_desk_email():
            notification_ids.append(
                Notification.objects.create(
                    appointment_request=locked.appointment_request,
                    visit=locked,
                    kind=NotificationKind.CANCELLATION_NOTICE,
                    recipient=address,
                ).pk
            )
        deliver_after_commit(notification_ids)
    _copy(locked, visit)
    return PatientCancel.CANCELLED


def _copy(locked: Visit, visit: Visit) -> None:
    """Give the caller's object what the locked copy now holds."""
    if locked is not visit:
        for field in (
            "starts_at",
            "ends_at",
            "blocked_until",
            "status",
            "sequence",
            "cancelled_at",
            "cancellation_reason",
            "call_needed",
        ):
            setattr(visit, field, getattr(locked, field))
