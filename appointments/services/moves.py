"""The patient moving their own visit with the link in its emails (“choose another time”).

A move is the front desk's move made by the patient: the same calendar event (UID kept,
SEQUENCE + 1), the updated calendar file to the patient, a notice without patient data to the
front desk, and the old time offered to the cancellation list. The exclusion constraint on
visits decides when two people want one time.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import Notification, NotificationKind, Visit, VisitChange, VisitStatus
from .open_times import OpenTime, open_times
from .outbox import deliver_after_commit, front_desk_email
from .schedule import (
    VisitConflict,
    _copy,
    _locked_visit,
    late_cancel_deadline,
    move_locked_visit,
)

# Two moves by link per visit: enough to fix a slip and to follow one change of plans; a visit
# moved again and again keeps times from other patients, so the third change is a phone call.
# A constant rather than a practice setting until the practice asks for another number.
MAX_MOVES_BY_LINK = 2

# How the visit's history tells the patient's own moves apart (staff moves have a user; an
# earlier time from the cancellation list does not count towards the limit).
MOVED_BY_LINK_NOTE = "Moved by the patient with their link"


class MoveRefusal:
    """Why the patient's link cannot move this visit now."""

    CANCELLED = "cancelled"
    HAS_BEGUN = "has_begun"
    NOT_BOOKED = "not_booked"
    TOO_LATE = "too_late"
    NO_MOVES_LEFT = "no_moves_left"
    NOT_ONLINE = "not_online"


class MoveOutcome(MoveRefusal):
    MOVED = "moved"
    TAKEN = "taken"
    NOT_OFFERED = "not_offered"


def moves_by_link(visit: Visit) -> int:
    return visit.changes.filter(
        action=VisitChange.Action.RESCHEDULED,
        changed_by__isnull=True,
        note=MOVED_BY_LINK_NOTE,
    ).count()


def why_not_movable(visit: Visit, *, practice=None, now=None) -> str | None:
    """A MoveRefusal, or None when the patient may choose another time."""
    now = now or timezone.now()
    practice = practice or Practice.get_current()
    if visit.is_cancelled:
        return MoveRefusal.CANCELLED
    if visit.starts_at <= now:
        return MoveRefusal.HAS_BEGUN
    if visit.status != VisitStatus.BOOKED:
        return MoveRefusal.NOT_BOOKED
    deadline = late_cancel_deadline(visit, practice)
    if deadline is not None and now >= deadline:
        return MoveRefusal.TOO_LATE
    # The times on offer are online booking's: none while it is off, or for a visit type
    # the practice arranges by phone.
    visit_type = visit.visit_type
    if not (
        practice is not None
        and practice.takes_online_bookings
        and visit_type is not None
        and visit_type.is_active
        and visit_type.is_bookable_online
    ):
        return MoveRefusal.NOT_ONLINE
    if moves_by_link(visit) >= MAX_MOVES_BY_LINK:
        return MoveRefusal.NO_MOVES_LEFT
    return None


def times_for_move(
    visit: Visit,
    *,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
    practice=None,
) -> list[OpenTime]:
    """The open times this visit may move to: online booking's, for its type and
    practitioner, its own time not counted as taken (nor offered)."""
    return [
        time
        for time in open_times(
            visit_type=visit.visit_type,
            practitioner=visit.practitioner,
            first_day=first_day,
            last_day=last_day,
            practice=practice,
            ignoring=visit,
        )
        if time.starts_at != visit.starts_at
    ]


def notify_front_desk_of_move(visit: Visit) -> list[int]:
    """The front desk's notice of a move made online (reference and admin link only)."""
    address = front_desk_email()
    if not address:
        return []
    return [
        Notification.objects.create(
            appointment_request=visit.appointment_request,
            visit=visit,
            kind=NotificationKind.MOVE_NOTICE,
            recipient=address,
        ).pk
    ]


def move_visit_by_patient(*, visit: Visit, starts_at: datetime.datetime) -> str:
    """The patient's “choose another time”: a MoveOutcome (MOVED, TAKEN or why not)."""
    with transaction.atomic():
        locked = _locked_visit(visit)
        if refusal := why_not_movable(locked):
            return refusal
        ends_at = starts_at + locked.duration
        if starts_at == locked.starts_at or calendar.unavailable_reason(
            Practice.get_current(), start=starts_at, end=ends_at
        ):
            return MoveOutcome.NOT_OFFERED
        try:
            notification_ids = move_locked_visit(
                locked, starts_at, by=None, note=MOVED_BY_LINK_NOTE
            )
        except VisitConflict:
            return MoveOutcome.TAKEN
        notification_ids += notify_front_desk_of_move(locked)
        deliver_after_commit(notification_ids)
    _copy(locked, visit)
    return MoveOutcome.MOVED
