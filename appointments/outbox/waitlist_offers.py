"""Offering freed times to the cancellation list: which patients, and the emails to them.

Run by a task once a cancellation or a move has committed (the task carries the visit change's
id only). The offer goes to the first few waiting patients, in the order they asked, whose
visit is later than the freed time, whose window covers its day and whose visit fits the gap;
the first to accept gets it (appointments.services.waitlist).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import (
    Notification,
    NotificationKind,
    OfferStatus,
    Visit,
    VisitChange,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)

# Offered to three at once: enough that one freed time is rarely left empty because one patient
# did not read their email in time, few enough that most who are offered it are not let down.
OFFERS_PER_TIME = 3


def freed_time(change: VisitChange) -> datetime.datetime | None:
    """The start of the time a cancellation, move, declined or expired hold gave back (None
    for other changes)."""
    if change.action in (
        VisitChange.Action.CANCELLED,
        VisitChange.Action.DECLINED,
        VisitChange.Action.EXPIRED,
    ):
        return change.visit.starts_at
    if change.action == VisitChange.Action.RESCHEDULED:
        return change.from_starts_at
    return None


def fits(practice, visit: Visit, starts_at: datetime.datetime) -> bool:
    """Could this visit (its length and buffer) move to start at `starts_at`, by patients' rules?"""
    ends_at = starts_at + visit.duration
    if calendar.unavailable_reason(practice, start=starts_at, end=ends_at) is not None:
        return False
    return not (
        Visit.objects.blocking(starts_at, ends_at + visit.buffer)
        .filter(practitioner_id=visit.practitioner_id)
        .exclude(pk=visit.pk)
        .exists()
    )


def offer_freed_time(visit_change_id: int) -> list[int]:
    """Create the offers of the time this change freed; the ids of their new notifications.

    Safe to run twice: an entry is offered a time once (a unique constraint).
    """
    change = (
        VisitChange.objects.select_related("visit").filter(pk=visit_change_id).first()
    )
    starts_at = freed_time(change) if change else None
    if starts_at is None or starts_at <= timezone.now():
        return []
    end_passed_entries()
    practice = Practice.get_current()
    candidates = WaitlistEntry.objects.could_take(
        practitioner=change.visit.practitioner_id, starts_at=starts_at
    )
    created = []
    with transaction.atomic():
        # A second run counts the first run's offers: the time still goes to three at most.
        open_offers = WaitlistOffer.objects.filter(
            practitioner_id=change.visit.practitioner_id,
            starts_at=starts_at,
            status=OfferStatus.OPEN,
        ).count()
        for entry in candidates:
            if open_offers + len(created) >= OFFERS_PER_TIME:
                break
            if not fits(practice, entry.visit, starts_at):
                continue
            offer, is_new = WaitlistOffer.objects.get_or_create(
                entry=entry,
                starts_at=starts_at,
                defaults={
                    "practitioner_id": entry.visit.practitioner_id,
                    "freed_by": change,
                },
            )
            if not is_new:
                continue
            offer.notification = Notification.objects.create(
                appointment_request_id=entry.visit.appointment_request_id,
                visit=entry.visit,
                visit_sequence=entry.visit.sequence,
                kind=NotificationKind.WAITLIST_OFFER,
                recipient=entry.visit.patient.email,
            )
            offer.save(update_fields=["notification"])
            created.append(offer.notification.pk)
    return created


def end_passed_entries() -> int:
    """End the entries whose window has passed or whose visit has begun (how many)."""
    return WaitlistEntry.objects.passed().update(
        status=WaitlistStatus.EXPIRED, ended_at=timezone.now()
    )
