"""Open times: the moments a patient may pick for a visit type, read from the practice calendar.

A read, not a write: nothing here changes the database. The public picking page, the hold form's
checks and the patient's "choose another time" page all ask `open_times()`, so they agree on
what is free. The exclusion constraint on visits still has the last word when a time is taken
(two patients at once): this module only says what looks free now.

An open time is a start moment where, in Boston time:
- the visit (its type's length) fits inside one of the day's opening periods
  (`clinic.calendar.opening_periods`: the weekday's hours, none on a closure day, none at all
  while staff have entered no hours);
- `clinic.calendar.unavailable_reason(for_patients=True)` has no objection: not past, not
  inside the minimum notice, not beyond the booking horizon;
- the day is no further ahead than the practice's online-booking horizon;
- the practitioner has no visit that keeps its time (held, booked, arrived, completed,
  no-show: `Visit.objects.booked()`) overlapping the visit plus its type's buffer, counting
  each visit's own buffer (`blocked_until`), exactly as the exclusion constraint counts them.

Start times run from each opening time every `Practice.online_booking_step_minutes`, or one
visit apart (length plus buffer) when staff left that empty. Steps are taken in real (UTC) time,
so a night when the clocks change gets only moments that exist, each once.

Cost: one query for the practitioners (none when one is given), one for the visits of the whole
range, whatever their number, plus the practice record (cached). The rest is arithmetic.

Signature kept stable for other callers:
    open_times(*, visit_type, practitioner=None, first_day=None, last_day=None,
               practice=None, now=None, ignoring=None) -> list[OpenTime]
"""

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby

from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import Practitioner, Visit, VisitType

# However far ahead staff allow, the engine never looks further than this (a year and a day).
MAX_HORIZON_DAYS = 366


@dataclass(frozen=True)
class OpenTime:
    """One time a patient may pick: when, until when, and with whom."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    practitioner: Practitioner

    @property
    def local_start(self) -> datetime.datetime:
        return self.starts_at.astimezone(calendar.zone())

    @property
    def day(self) -> datetime.date:
        return self.local_start.date()

    @property
    def key(self) -> str:
        """How a form names this time: the practitioner and the UTC start, e.g.
        "3@2026-12-07T14:00:00Z". Forms parse it back with `parse_key`."""
        utc = self.starts_at.astimezone(datetime.UTC)
        return f"{self.practitioner.pk}@{utc:%Y-%m-%dT%H:%M:%SZ}"


def parse_key(key: str) -> tuple[int, datetime.datetime] | None:
    """(practitioner id, aware start) from an OpenTime.key, or None if it is not one."""
    practitioner_id, at, moment = (key or "").partition("@")
    if not at or not practitioner_id.isdigit() or len(key) > 40:
        return None
    try:
        starts_at = datetime.datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return int(practitioner_id), starts_at.replace(tzinfo=datetime.UTC)


def last_bookable_day(practice, *, now=None) -> datetime.date | None:
    """The furthest day patients may book online (None: online booking has no horizon set)."""
    if practice is None or not practice.online_booking_horizon_days:
        return None
    today = timezone.localdate(now or timezone.now())
    days = min(practice.online_booking_horizon_days, MAX_HORIZON_DAYS)
    return today + datetime.timedelta(days=days)


def open_times(
    *,
    visit_type: VisitType,
    practitioner: Practitioner | None = None,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
    practice=None,
    now: datetime.datetime | None = None,
    ignoring: Visit | None = None,
) -> list[OpenTime]:
    """The open times for `visit_type`, earliest first, from `first_day` to `last_day`.

    practitioner: only theirs; None for "any practitioner": each moment once, with the first
        bookable practitioner (in their admin order) free then.
    first_day / last_day: Boston dates, both included; default from today to the online
        booking horizon (which also caps `last_day`).
    practice: the practice record (default `Practice.get_current()`); without one, or without
        opening hours, there are no open times.
    now: the moment to judge "past" and the minimum notice from (default: now).
    ignoring: a visit whose own time should not count as taken, for moving it elsewhere.

    Whether the visit type may be booked online is the caller's question, not this function's.
    """
    practice = practice if practice is not None else Practice.get_current()
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = last_bookable_day(practice, now=now) or today + datetime.timedelta(
        days=MAX_HORIZON_DAYS
    )
    first_day = max(first_day or today, today)
    last_day = min(last_day or horizon, horizon)
    if practice is None or first_day > last_day:
        return []

    periods = _periods(practice, first_day, last_day, now)
    if not periods:
        return []

    if practitioner is not None:
        practitioners = [practitioner]
    else:
        practitioners = list(Practitioner.objects.filter(is_bookable=True))
    if not practitioners:
        return []

    length = visit_type.duration
    blocked = length + visit_type.buffer
    step = (
        datetime.timedelta(minutes=practice.online_booking_step_minutes)
        if practice.online_booking_step_minutes
        else blocked
    )
    range_start = periods[0][0]
    range_end = periods[-1][1] + visit_type.buffer
    taken = _taken(practitioners, range_start, range_end, ignoring)

    times = []
    zone = calendar.zone()
    for opens, closes in periods:
        start = opens
        while start + length <= closes:
            end = start + length
            # The day as a whole passed unavailable_reason() in _periods, and the visit fits
            # inside an opening period by construction: only the time of day is left to judge.
            if calendar.too_soon(practice, start, now=now) is None:
                for person in practitioners:
                    if _is_free(taken[person.pk], start, start + blocked):
                        times.append(
                            OpenTime(
                                starts_at=start.astimezone(zone),
                                ends_at=end.astimezone(zone),
                                practitioner=person,
                            )
                        )
                        break
            start += step
    return times


def by_day(times: list[OpenTime]) -> list[tuple[datetime.date, list[OpenTime]]]:
    """[(day, [its times]), ...] in order, for a page that groups times by day."""
    return [(day, list(group)) for day, group in groupby(times, key=lambda t: t.day)]


def nearest(
    times: list[OpenTime], moment: datetime.datetime, count: int = 6
) -> list[OpenTime]:
    """The `count` times closest to `moment` (before or after), in time order: what to offer
    a patient whose time was just taken."""
    closest = sorted(times, key=lambda t: abs(t.starts_at - moment))[:count]
    return sorted(closest, key=lambda t: t.starts_at)


# A page needs a week or two of times, not the whole horizon: a year of start times costs about a
# second of arithmetic on this machine. The pages read the calendar this many days at a time,
# doubling while they have not found enough.
FIRST_WINDOW_DAYS = 14


def days_with_times(
    *,
    visit_type: VisitType,
    count: int,
    first_day: datetime.date | None = None,
    practitioner: Practitioner | None = None,
    practice=None,
    now: datetime.datetime | None = None,
) -> list[tuple[datetime.date, list[OpenTime]]]:
    """The first `count` days that have open times from `first_day` on, as `by_day()` gives
    them. Two queries per window read: usually one window, never more than six in a year."""
    practice = practice if practice is not None else Practice.get_current()
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = last_bookable_day(practice, now=now) or today + datetime.timedelta(
        days=MAX_HORIZON_DAYS
    )
    first = max(first_day or today, today)
    span = FIRST_WINDOW_DAYS
    days = []
    while len(days) < count and first <= horizon:
        last = min(first + datetime.timedelta(days=span - 1), horizon)
        days += by_day(
            open_times(
                visit_type=visit_type,
                practitioner=practitioner,
                first_day=first,
                last_day=last,
                practice=practice,
                now=now,
            )
        )
        first, span = last + datetime.timedelta(days=1), span * 2
    return days[:count]


def nearest_open_times(
    *,
    visit_type: VisitType,
    moment: datetime.datetime,
    count: int = 6,
    practice=None,
    now: datetime.datetime | None = None,
) -> list[OpenTime]:
    """The `count` open times nearest `moment`, read from a window around its day that widens
    until it holds enough (or covers the horizon)."""
    day = timezone.localdate(moment)
    span = FIRST_WINDOW_DAYS // 2
    while True:
        times = open_times(
            visit_type=visit_type,
            first_day=day - datetime.timedelta(days=span),
            last_day=day + datetime.timedelta(days=span),
            practice=practice,
            now=now,
        )
        if len(times) >= count or span > MAX_HORIZON_DAYS:
            return nearest(times, moment, count=count)
        span *= 3


def find(times: list[OpenTime], key: str) -> OpenTime | None:
    """The open time a form's value names, or None if it is not (or no longer) open."""
    return next((t for t in times if t.key == key), None)


def _periods(practice, first_day, last_day, now):
    """Every opening period of the days, in UTC, skipping days the calendar rules out whole."""
    periods = []
    day = first_day
    while day <= last_day:
        if calendar.unavailable_reason(practice, day=day, now=now) is None:
            for opens, closes in calendar.opening_periods(practice, day):
                # In UTC from here: stepping through a Boston wall clock would skip or repeat
                # an hour on daylight-saving nights.
                periods.append(
                    (opens.astimezone(datetime.UTC), closes.astimezone(datetime.UTC))
                )
        day += datetime.timedelta(days=1)
    return sorted(periods)


def _taken(practitioners, start, end, ignoring):
    """{practitioner id: ([starts], [blocked untils])} of visits keeping their time, sorted."""
    visits = (
        Visit.objects.blocking(start, end)
        .filter(practitioner__in=[p.pk for p in practitioners])
        .order_by("practitioner_id", "starts_at")
    )
    if ignoring is not None:
        visits = visits.exclude(pk=ignoring.pk)
    taken = defaultdict(lambda: ([], []))
    for practitioner_id, starts_at, blocked_until in visits.values_list(
        "practitioner_id", "starts_at", "blocked_until"
    ):
        starts, untils = taken[practitioner_id]
        starts.append(starts_at)
        # A running maximum: a long visit may cover later, shorter ones.
        untils.append(max(blocked_until, untils[-1]) if untils else blocked_until)
    return taken


def _is_free(taken, start, end) -> bool:
    """No visit in `taken` overlaps [start, end)."""
    starts, untils = taken
    # The last visit starting before `end`: it (or one before it) overlaps if the running
    # maximum of their ends is after `start`.
    index = bisect.bisect_left(starts, end) - 1
    return index < 0 or untils[index] <= start
