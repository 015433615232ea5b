"""The front desk's calendar: a day (a column per practitioner) or a week (a column per day),
rows by time across the opening hours (7:00 to 20:00 when none are set).

Each cell is a visit starting then (time, patient, visit type, a link to the visit), time
already taken (a visit going on, or the time kept free after one), closed (outside the hours,
a closure), or free: a link that opens the booking form with the day, time and practitioner
filled in. Two queries whatever the number of visits: the visits of the span and the
practitioners; the practice record comes from its cache.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import Practitioner, Visit

USUAL_DAY = (datetime.time(7, 0), datetime.time(20, 0))
DAY_STEP = datetime.timedelta(minutes=15)
WEEK_STEP = datetime.timedelta(minutes=30)


@dataclass
class Cell:
    kind: str  # "visit", "taken", "closed", "free"
    visits: list = field(default_factory=list)
    book_url: str = ""
    label: str = ""


@dataclass
class Row:
    time: datetime.time
    cells: list


@dataclass
class Grid:
    columns: list
    rows: list
    visits: list
    practitioners: list
    has_hours: bool
    step_minutes: int


@dataclass
class Column:
    heading: str
    day: datetime.date
    practitioner: Practitioner | None = None
    closure: object = None
    is_today: bool = False
    visits: list = field(default_factory=list)


def _day_range(practice, days) -> tuple[datetime.time, datetime.time]:
    """From the earliest opening to the latest closing of these days' weekdays."""
    hours = [
        hours
        for day in days
        for hours in calendar.weekday_hours(practice, day.weekday())
    ]
    if not hours:
        return USUAL_DAY
    return min(h.opens_at for h in hours), max(h.closes_at for h in hours)


def _times(first: datetime.time, last: datetime.time, step: datetime.timedelta):
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), first)
    end = datetime.datetime.combine(datetime.date(2000, 1, 1), last)
    while moment < end:
        yield moment.time()
        moment += step


def _is_open(practice, day, start, end) -> bool:
    if practice is None or not practice.has_hours:
        return (practice is None or practice.closure_on(day) is None) and (
            USUAL_DAY[0] <= start.time() and end.time() <= USUAL_DAY[1]
        )
    return any(
        opens <= start and end <= closes
        for opens, closes in calendar.opening_periods(practice, day)
    )


def _book_url(day, time, practitioner=None) -> str:
    query = {"date": day.isoformat(), "time": f"{time:%H:%M}"}
    if practitioner is not None:
        query["practitioner"] = practitioner.pk
    return f"{reverse('admin:appointments_visit_book')}?{urlencode(query)}"


def build(*, first: datetime.date, days: int) -> Grid:
    """The grid of a day (days=1) or a week (days=7) starting on `first`."""
    practice = Practice.get_current()
    dates = [first + datetime.timedelta(days=n) for n in range(days)]
    start, end = calendar.day_bounds(dates[0], dates[-1])
    visits = list(
        Visit.objects.booked()
        .filter(starts_at__lt=end, blocked_until__gt=start)
        .select_related("patient", "practitioner", "visit_type")
        .order_by("starts_at")
    )
    practitioners = list(Practitioner.objects.filter(is_bookable=True))
    for visit in visits:
        if visit.practitioner not in practitioners:
            practitioners.append(visit.practitioner)
    step = DAY_STEP if days == 1 else WEEK_STEP
    today = timezone.localdate()
    if days == 1:
        columns = [
            Column(str(p), first, practitioner=p, closure=_closure(practice, first))
            for p in practitioners
        ]
    else:
        columns = [
            Column(
                f"{day:%a %b %-d}",
                day,
                closure=_closure(practice, day),
                is_today=day == today,
            )
            for day in dates
        ]
    first_time, last_time = _day_range(practice, dates)
    rows = []
    now = timezone.now()
    # Each column looks only at the visits of its own day.
    for column in columns:
        day_start, day_end = calendar.day_bounds(column.day)
        column.visits = [
            v for v in visits if v.starts_at < day_end and v.blocked_until > day_start
        ]
    for time in _times(first_time, last_time, step):
        cells = []
        for column in columns:
            slot_start = calendar.moment_at(column.day, time)
            if slot_start is None:  # the hour the clocks skip
                cells.append(Cell("closed", label="(clocks change)"))
                continue
            slot_end = slot_start + step
            who = [column.practitioner] if column.practitioner else practitioners
            starting = [
                v
                for v in column.visits
                if v.practitioner in who and slot_start <= v.starts_at < slot_end
            ]
            if starting:
                cells.append(Cell("visit", visits=starting))
                continue
            busy = {
                v.practitioner_id
                for v in column.visits
                if v.practitioner in who
                and v.starts_at < slot_end
                and v.blocked_until > slot_start
            }
            open_now = column.closure is None and _is_open(
                practice, column.day, slot_start, slot_end
            )
            if not open_now:
                cells.append(Cell("closed"))
            elif len(busy) >= len(who) and who:
                cells.append(Cell("taken"))
            elif slot_start <= now or not who:
                cells.append(Cell("closed", label="past" if who else ""))
            else:
                free = [p for p in who if p.pk not in busy]
                cells.append(
                    Cell(
                        "free",
                        book_url=_book_url(
                            column.day, time, free[0] if len(free) == 1 else None
                        ),
                        label=f"{time:%-I:%M %p} on {column.day:%A, %B %-d}"
                        + (f" with {free[0]}" if len(free) == 1 else ""),
                    )
                )
        rows.append(Row(time, cells))
    return Grid(
        columns=columns,
        rows=rows,
        visits=visits,
        practitioners=practitioners,
        has_hours=bool(practice and practice.has_hours),
        step_minutes=int(step.total_seconds() // 60),
    )


def _closure(practice, day):
    return practice.closure_on(day) if practice else None
