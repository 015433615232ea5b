"""The cancellation list's writes: a patient joins or leaves it from their visit's page, and
takes an earlier time they were offered by email (the offers: appointments.outbox.waitlist_offers).

Taking an offer is a move (UID kept, SEQUENCE + 1) through the exclusion constraint, so when
several patients, or a patient choosing another time, want one time at once, exactly one gets
it; the others are told it has gone and their visit stays as it was.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import (
    Notification,
    NotificationStatus,
    OfferStatus,
    Visit,
    VisitStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from .moves import notify_front_desk_of_move
from .outbox import deliver_after_commit
from .schedule import VisitConflict, _locked_visit, move_locked_visit

# How the visit's history records a move to a time from the list (not one of the patient's
# own moves by link, which are limited).
WAITLIST_MOVE_NOTE = "Earlier time from the cancellation list"


class WaitlistClosed(Exception):
    """The visit can no longer wait for an earlier time (cancelled, begun or not booked)."""


def can_wait(visit: Visit) -> bool:
    return visit.status == VisitStatus.BOOKED and not visit.has_begun


def join_waitlist(
    *, visit: Visit, earliest_day: datetime.date, latest_day: datetime.date
) -> WaitlistEntry:
    """Put the visit on the list for this window; asking again changes the window only."""
    with transaction.atomic():
        locked = _locked_visit(visit)
        if not can_wait(locked):
            raise WaitlistClosed
        # The visit's lock makes this read-then-write safe against a second post.
        entry = locked.waitlist_entries.filter(status=WaitlistStatus.WAITING).first()
        if entry is None:
            return WaitlistEntry.objects.create(
                visit=locked, earliest_day=earliest_day, latest_day=latest_day
            )
        entry.earliest_day, entry.latest_day = earliest_day, latest_day
        entry.save(update_fields=["earliest_day", "latest_day", "updated_at"])
        return entry


def leave_waitlist(*, visit: Visit) -> bool:
    """Take the visit off the list (True if it was on it)."""
    return bool(withdraw_entries(visit.waitlist_entries.all()))


def withdraw_entries(entries) -> int:
    """End these entries (the patient's “leave the list”, or staff's): how many were waiting."""
    return entries.filter(status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.WITHDRAWN, ended_at=timezone.now()
    )


class OfferOutcome:
    ACCEPTED = "accepted"
    ALREADY_ACCEPTED = "already_accepted"
    GONE = "gone"
    NOT_WAITING = "not_waiting"


def offer_outcome(offer: WaitlistOffer) -> str | None:
    """What accepting this offer would answer now without trying: None if it is still open."""
    if offer.status == OfferStatus.ACCEPTED:
        return OfferOutcome.ALREADY_ACCEPTED
    if offer.status == OfferStatus.GONE or offer.starts_at <= timezone.now():
        return OfferOutcome.GONE
    visit = offer.entry.visit
    if offer.entry.status != WaitlistStatus.WAITING or not can_wait(visit):
        return OfferOutcome.NOT_WAITING
    if offer.starts_at >= visit.starts_at:
        # The visit moved earlier meanwhile: this time would not bring it forward.
        return OfferOutcome.NOT_WAITING
    return None


def _close_offers_of_time(offer: WaitlistOffer) -> None:
    """Every other open offer of this time has gone; their unsent emails are not sent."""
    others = WaitlistOffer.objects.filter(
        practitioner_id=offer.practitioner_id,
        starts_at=offer.starts_at,
        status=OfferStatus.OPEN,
    ).exclude(pk=offer.pk)
    Notification.objects.filter(
        waitlist_offer__in=others, status=NotificationStatus.PENDING
    ).delete()
    others.update(status=OfferStatus.GONE, answered_at=timezone.now())


def accept_waitlist_offer(*, offer: WaitlistOffer) -> str:
    """The patient takes the earlier time: an OfferOutcome."""
    try:
        with transaction.atomic():
            # Every offer of this time, locked in one order: patients accepting it at once
            # queue here rather than deadlock between the offers and the constraint.
            offers_of_time = list(
                WaitlistOffer.objects.select_for_update()
                .filter(
                    practitioner_id=offer.practitioner_id, starts_at=offer.starts_at
                )
                .order_by("pk")
            )
            offer = next(o for o in offers_of_time if o.pk == offer.pk)
            if offer.status == OfferStatus.ACCEPTED:
                return OfferOutcome.ALREADY_ACCEPTED
            if offer.status == OfferStatus.GONE:
                return OfferOutcome.GONE
            entry = WaitlistEntry.objects.select_related("visit").get(pk=offer.entry_id)
            locked = _locked_visit(entry.visit)
            entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if entry.status != WaitlistStatus.WAITING or not can_wait(locked):
                return OfferOutcome.NOT_WAITING
            if offer.starts_at >= locked.starts_at:
                # They moved earlier meanwhile: this time is no longer an improvement.
                return OfferOutcome.NOT_WAITING
            ends_at = offer.starts_at + locked.duration
            practice = Practice.get_current()
            if calendar.unavailable_reason(
                practice, start=offer.starts_at, end=ends_at
            ):
                raise _Gone
            try:
                notification_ids = move_locked_visit(
                    locked, offer.starts_at, by=None, note=WAITLIST_MOVE_NOTE
                )
            except VisitConflict:
                raise _Gone from None
            now = timezone.now()
            offer.status, offer.answered_at = OfferStatus.ACCEPTED, now
            offer.save(update_fields=["status", "answered_at"])
            entry.status, entry.ended_at = WaitlistStatus.MOVED, now
            entry.save(update_fields=["status", "ended_at", "updated_at"])
            _close_offers_of_time(offer)
            notification_ids += notify_front_desk_of_move(locked)
            deliver_after_commit(notification_ids)
            return OfferOutcome.ACCEPTED
    except _Gone:
        _mark_gone(offer)
        return OfferOutcome.GONE


class _Gone(Exception):
    """Inside the transaction: the time is no longer free (undo everything, then say so)."""


def _mark_gone(offer: WaitlistOffer) -> None:
    # Only this offer: another patient's shorter visit may still fit the time.
    WaitlistOffer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(
        status=OfferStatus.GONE, answered_at=timezone.now()
    )
