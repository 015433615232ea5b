"""Held times that ran out: freed for others, and the patient told kindly.

A time a patient picked online stays held for the practice's hold length
(Practice.hold_hours); if staff have neither confirmed nor declined it by then
(Visit.hold_expires_at), it expires here. Run by the outbox sweep and by a job queued for each
hold's end (appointments/tasks.py), like the reminders: any number of runs, on any number of
workers, expire each hold once (the row lock and the status check decide).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    AppointmentRequest,
    CallNeeded,
    Notification,
    NotificationKind,
    RequestStatus,
    StatusChange,
    Visit,
    VisitChange,
    VisitStatus,
)
from . import waitlist_offers


def expire_due_holds(*, now: datetime.datetime | None = None) -> list[int]:
    """Expire every hold whose time is up; the ids of the patients' emails to deliver."""
    now = now or timezone.now()
    created = []
    for pk in Visit.objects.hold_expired(now).values_list("pk", flat=True):
        created += expire_hold(pk, now=now)
    return created


@transaction.atomic
def expire_hold(visit_id: int, *, now: datetime.datetime | None = None) -> list[int]:
    """Expire this one hold if it is still held and due; the ids of emails created."""
    now = now or timezone.now()
    visit = (
        Visit.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("patient")
        .filter(pk=visit_id, status=VisitStatus.HELD, hold_expires_at__lte=now)
        .first()
    )
    if visit is None:  # confirmed, declined or expired meanwhile, or being answered now
        return []
    visit.status = VisitStatus.EXPIRED
    visit.cancelled_at = now
    visit.sequence += 1
    visit.call_needed = CallNeeded.NONE
    visit.save(
        update_fields=[
            "status",
            "cancelled_at",
            "sequence",
            "call_needed",
            "updated_at",
        ]
    )
    change = VisitChange.objects.create(
        visit=visit,
        action=VisitChange.Action.EXPIRED,
        note="Nobody confirmed or declined it in time.",
    )
    _close_request(visit.appointment_request_id)
    # The freed time goes to the cancellation list, as a cancelled visit's does.
    offers = waitlist_offers.offer_freed_time(change.pk)
    if not visit.patient.email:
        visit.call_needed = CallNeeded.TELL_CANCEL
        visit.save(update_fields=["call_needed", "updated_at"])
        return offers
    notification = Notification.objects.create(
        appointment_request_id=visit.appointment_request_id,
        visit=visit,
        visit_sequence=visit.sequence,
        kind=NotificationKind.HOLD_EXPIRED,
        recipient=visit.patient.email,
    )
    return [notification.pk, *offers]


def _close_request(request_id: int | None) -> None:
    """The request the hold came from goes back to "new": the front desk calls the patient."""
    if request_id is None:
        return
    request = AppointmentRequest.objects.select_for_update().get(pk=request_id)
    if (
        request.status == RequestStatus.SCHEDULED
        and not request.visits.booked().exists()
    ):
        change = StatusChange.objects.create(
            appointment_request=request,
            from_status=request.status,
            to_status=RequestStatus.NEW,
        )
        request.status = RequestStatus.NEW
        request.status_changed_at = change.changed_at
        request.save(update_fields=["status", "status_changed_at", "updated_at"])
