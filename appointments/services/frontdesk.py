"""The front desk's writes on requests: status steps, booking from a request, the audit.

Each runs in a transaction; emails go through the outbox (a Notification row created in the
same transaction, delivered by the worker after commit). The schedule's own steps (booking by
phone, series, moving, cancelling) are in services/schedule.py.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    ALLOWED_TRANSITIONS,
    AccessRecord,
    AppointmentRequest,
    RequestStatus,
    StatusChange,
    Visit,
    VisitSource,
)
from .history import record_request_status
from .intake import release_from_spam
from .patients import find_or_create_patient
from .schedule import Booking, SchedulingError, book_visit, cancel_visit

# A step on a request that cannot be taken is the same kind of error as one on the schedule.
WorkflowError = SchedulingError


@transaction.atomic
def change_status(
    *, appointment_request: AppointmentRequest, to_status: str, by
) -> StatusChange | None:
    """Move a request one step along the workflow; None when it already has that status."""
    locked = AppointmentRequest.objects.select_for_update().get(
        pk=appointment_request.pk
    )
    if locked.status == to_status:
        return None
    if to_status not in ALLOWED_TRANSITIONS[locked.status]:
        raise WorkflowError(
            f"A request that is “{locked.get_status_display()}” cannot become "
            f"“{RequestStatus(to_status).label}”."
        )
    if locked.is_spam and to_status == RequestStatus.NEW:
        change = release_from_spam(submission=locked, by=by)
        appointment_request.status = RequestStatus.NEW
        return change
    if to_status == RequestStatus.CANCELLED:
        # Staff cancelling (the patient phoned): the booked times are free again, and the
        # patient is told as when a single visit is cancelled.
        for visit in locked.visits.booked().filter(starts_at__gt=timezone.now()):
            cancel_visit(visit=visit, reason="Request cancelled", by=by)
        locked.refresh_from_db()
    change = None
    if locked.status != to_status:
        change = record_request_status(locked, to_status, by=by)
    else:
        change = locked.status_changes.order_by("changed_at", "pk").last()
    appointment_request.status = locked.status
    appointment_request.status_changed_at = locked.status_changed_at
    return change


def change_statuses(*, appointment_requests, to_status: str, by) -> tuple[int, int]:
    """The admin actions' bulk version: (changed, skipped because not allowed from there)."""
    changed = skipped = 0
    for appointment_request in appointment_requests:
        try:
            if change_status(
                appointment_request=appointment_request, to_status=to_status, by=by
            ):
                changed += 1
        except WorkflowError:
            skipped += 1
    return changed, skipped


def patient_of(appointment_request: AppointmentRequest):
    """The request's patient record, made from what the patient typed if it has none yet."""
    if appointment_request.patient_id is None:
        appointment_request.patient = find_or_create_patient(
            name=appointment_request.name,
            phone=appointment_request.phone,
            email=appointment_request.email,
            preferred_contact_method=appointment_request.preferred_contact_method,
        )
        appointment_request.save(update_fields=["patient", "updated_at"])
    return appointment_request.patient


@transaction.atomic
def schedule_visit(
    *,
    appointment_request: AppointmentRequest,
    practitioner,
    starts_at: datetime.datetime,
    duration: datetime.timedelta | None = None,
    visit_type=None,
    by,
) -> Visit:
    """Book a visit for a web request: the request is scheduled, the patient confirmed.

    Raises VisitConflict, naming the clashing visit, when the practitioner is already booked;
    the exclusion constraint decides, so two staff booking at the same moment cannot both win.
    """
    visit = book_visit(
        booking=Booking(
            patient=patient_of(appointment_request),
            practitioner=practitioner,
            visit_type=visit_type,
            duration=duration,
            source=VisitSource.WEB,
            appointment_request=appointment_request,
        ),
        starts_at=starts_at,
        by=by,
    )
    appointment_request.status = RequestStatus.SCHEDULED
    return visit


def record_access(*, user, action: str, references: list[str]) -> AccessRecord:
    return AccessRecord.objects.create(
        user=user, username=user.get_username(), action=action, references=references
    )
