"""The practice's calendar in Boston time: days, opening periods, business days, and why a day or
a moment cannot be offered.

One home for these rules: the patient's request form, the staff booking form, the dashboard's
"overdue" count and (later) the open-times engine all ask the functions here. They take the
practice record as an argument (`Practice.get_current()`, or None before it exists) and import
no models, so any layer may use them. Only what staff have entered counts: without opening
hours, only closures close a day; without a notice or horizon, none applies.

`unavailable_reason()` answers with a reason code and the facts behind it; each form turns the
code into its own words (a patient reads "Choose another date", staff read "Book it anyway").
"""

import datetime
import time
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone

# How far back `one_business_day_before` looks for open days before giving up on the calendar.
LOOK_BACK_DAYS = 60


def zone() -> datetime.tzinfo:
    """Boston's time zone (settings.TIME_ZONE), whatever zone a request has activated.

    The default zone, not the current one: this is asked for every start time a page offers,
    and the current zone is a context-local lookup each time.
    """
    return timezone.get_default_timezone()


# (date, start, end): the Boston day today() last answered, its bounds as timestamps.
_today = (None, 0.0, 0.0)


def today() -> datetime.date:
    """Today's date in Boston (settings.TIME_ZONE, whatever zone is active), cheaply.

    The page cache asks on every hit (the date is part of a page's ETag): the day's bounds are
    kept, so the answer changes at Boston midnight exactly, clock-change nights included.
    """
    global _today
    day, start, end = _today
    if not start <= time.time() < end:
        boston = zone()
        day = timezone.localdate(timezone=boston)
        first, last = (
            datetime.datetime.combine(midnight, datetime.time.min, tzinfo=boston)
            for midnight in (day, day + datetime.timedelta(days=1))
        )
        _today = (day, first.timestamp(), last.timestamp())
    return day


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of this Boston day (an aware datetime)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone())


def day_bounds(
    first: datetime.date, last: datetime.date | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end): from midnight before `first` to midnight after `last` (default: `first`).

    A Boston day is 23 or 25 hours long on daylight-saving nights; these bounds are right anyway.
    """
    last = last or first
    return day_start(first), day_start(last + datetime.timedelta(days=1))


def moment_at(day: datetime.date, time: datetime.time) -> datetime.datetime | None:
    """The aware moment this Boston wall-clock time names, or None if the clocks skip it."""
    moment = datetime.datetime.combine(day, time, tzinfo=zone())
    try:
        # Through UTC and back: a time in the spring-forward gap comes back an hour later.
        round_trip = moment.astimezone(datetime.UTC).astimezone(zone())
    except OverflowError:  # the last hours of year 9999: no clock change there
        return moment
    return moment if round_trip.time() == time else None


def weekday_hours(practice, weekday: int) -> list:
    """The practice's opening-hours rows for a weekday (0 = Monday), earliest first."""
    if practice is None:
        return []
    return [hours for hours in practice.opening_hours.all() if hours.weekday == weekday]


def opening_periods(
    practice, day: datetime.date
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The day's opening periods as aware (opens, closes) pairs; none on a closure day.

    Also none when staff have entered no hours at all: the calendar then cannot say when the
    practice is open, and callers decide what that means for them.
    """
    if practice is None or practice.closure_on(day) is not None:
        return []
    return [
        (
            datetime.datetime.combine(day, hours.opens_at, tzinfo=zone()),
            datetime.datetime.combine(day, hours.closes_at, tzinfo=zone()),
        )
        for hours in weekday_hours(practice, day.weekday())
    ]


def is_business_day(practice, day: datetime.date) -> bool:
    """A day the practice works: its opening hours and closures, else Monday to Friday."""
    if practice is None:
        return day.weekday() < 5
    if practice.closure_on(day) is not None:
        return False
    if not practice.has_hours:
        return day.weekday() < 5
    return bool(weekday_hours(practice, day.weekday()))


def one_business_day_before(practice, moment: datetime.datetime) -> datetime.datetime:
    """The moment 24 business hours (weekends and closed days not counted) before `moment`."""
    local = timezone.localtime(moment, zone())
    day = local.date()
    into_day = local - day_start(day)
    remaining = datetime.timedelta(days=1)
    for _ in range(LOOK_BACK_DAYS):
        if is_business_day(practice, day):
            if into_day >= remaining:
                return day_start(day) + (into_day - remaining)
            remaining -= into_day
        day -= datetime.timedelta(days=1)
        into_day = datetime.timedelta(days=1)
    return local - datetime.timedelta(days=1)


class Reason(StrEnum):
    PAST = "past"
    BEYOND_HORIZON = "beyond_horizon"
    CLOSURE = "closure"
    CLOSED_WEEKDAY = "closed_weekday"
    OUTSIDE_HOURS = "outside_hours"
    TOO_LITTLE_NOTICE = "too_little_notice"


@dataclass(frozen=True)
class Unavailable:
    """Why a day or moment cannot be offered, with what a message needs to explain it."""

    reason: Reason
    day: datetime.date
    closure: object = None
    last_day: datetime.date | None = None
    horizon_days: int | None = None
    notice_hours: int | None = None
    earliest: datetime.datetime | None = None
    hours: list = field(default_factory=list)


def unavailable_reason(
    practice,
    *,
    day: datetime.date | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    for_patients: bool = True,
) -> Unavailable | None:
    """Why this day (`day`) or this visit time (`start`, `end`) cannot be offered, or None.

    Patients are held to the minimum notice and the booking horizon; staff (for_patients=False)
    are not. A day is judged as a whole: it is offered if any part of it still can be.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, zone())
    if start is not None:
        day = timezone.localtime(start, zone()).date()
        if start <= now:
            return Unavailable(Reason.PAST, day)
    elif day < today:
        return Unavailable(Reason.PAST, day)
    if practice is None:
        return None
    horizon = practice.request_horizon_days
    if for_patients and horizon is not None:
        last_day = today + datetime.timedelta(days=horizon)
        if day > last_day:
            return Unavailable(
                Reason.BEYOND_HORIZON, day, last_day=last_day, horizon_days=horizon
            )
    if closure := practice.closure_on(day):
        return Unavailable(Reason.CLOSURE, day, closure=closure)
    hours = weekday_hours(practice, day.weekday())
    if practice.has_hours:
        if not hours:
            return Unavailable(Reason.CLOSED_WEEKDAY, day)
        if start is not None and not _within_hours(start, end or start, hours):
            return Unavailable(Reason.OUTSIDE_HOURS, day, hours=hours)
    if not for_patients:
        return None
    if start is not None:
        return too_soon(practice, start, now=now)
    notice = practice.request_min_notice_hours
    if notice:
        earliest = _earliest(now, notice)
        # The day can still be offered if the practice is open after the notice has run.
        closes = max((h.closes_at for h in hours), default=datetime.time.max)
        if datetime.datetime.combine(day, closes, tzinfo=zone()) <= earliest:
            return _too_little_notice(day, notice, earliest)
    return None


def too_soon(practice, start: datetime.datetime, *, now: datetime.datetime):
    """Unavailable(PAST or TOO_LITTLE_NOTICE) if a patient may not have a visit starting at
    `start` yet, else None: the rules of unavailable_reason() that depend on the time of day.

    The open-times engine asks this of every start time inside days the calendar already
    allows as a whole (unavailable_reason(day=...)), which is far cheaper than the whole check.
    """
    if start <= now:
        return Unavailable(Reason.PAST, timezone.localtime(start, zone()).date())
    notice = practice.request_min_notice_hours if practice is not None else None
    if notice:
        earliest = _earliest(now, notice)
        if start < earliest:
            day = timezone.localtime(start, zone()).date()
            return _too_little_notice(day, notice, earliest)
    return None


def _earliest(now, notice_hours):
    # In UTC: adding hours to a Boston wall-clock time would ignore a DST change.
    return now.astimezone(datetime.UTC) + datetime.timedelta(hours=notice_hours)


def _too_little_notice(day, notice_hours, earliest):
    return Unavailable(
        Reason.TOO_LITTLE_NOTICE,
        day,
        notice_hours=notice_hours,
        earliest=timezone.localtime(earliest, zone()),
    )


def _within_hours(start, end, hours) -> bool:
    start, end = timezone.localtime(start, zone()), timezone.localtime(end, zone())
    return end.date() == start.date() and any(
        h.opens_at <= start.time() and end.time() <= h.closes_at for h in hours
    )
