"""The practice calendar (clinic/calendar.py): Boston days, opening periods and the reasons a day
or a visit time cannot be offered, which every form and (later) the open-times engine share."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic import calendar
from clinic.calendar import Reason
from clinic.models import Practice
from tests.factories import make_closure, make_opening_hours

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")


def current(practice):
    """The practice as every page reads it (hours and closures prefetched, cached)."""
    return Practice.get_current()


def test_a_boston_day_is_25_hours_when_the_clocks_go_back_and_23_when_they_go_forward():
    fall_start, fall_end = calendar.day_bounds(datetime.date(2026, 11, 1))
    spring_start, spring_end = calendar.day_bounds(datetime.date(2027, 3, 14))
    week_start, week_end = calendar.day_bounds(
        datetime.date(2026, 10, 26), datetime.date(2026, 11, 1)
    )

    def hours(
        start, end
    ):  # in real time: subtracting two Boston times ignores the change
        return end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)

    assert (hours(fall_start, fall_end), hours(spring_start, spring_end)) == (
        datetime.timedelta(hours=25),
        datetime.timedelta(hours=23),
    )
    assert (week_start, week_end) == (
        datetime.datetime(2026, 10, 26, tzinfo=BOSTON),
        datetime.datetime(2026, 11, 2, tzinfo=BOSTON),
    )
    assert hours(week_start, week_end) == datetime.timedelta(days=7, hours=1)


def test_today_is_the_boston_date_whatever_zone_is_active():
    # Kiritimati is 14 hours ahead of UTC: its date differs from Boston's most of the day.
    before = datetime.datetime.now(BOSTON).date()
    with timezone.override(ZoneInfo("Pacific/Kiritimati")):
        answer = calendar.today()
    after = datetime.datetime.now(BOSTON).date()
    assert answer in {before, after}
    if before == after:
        assert answer == before


@pytest.mark.parametrize("kept", ["an ended day", "a day still to come"])
def test_today_never_answers_a_kept_day_the_clock_is_no_longer_in(kept, monkeypatch):
    # The page cache's ETags carry today(): a day kept past its midnight would let browsers
    # keep yesterday's page. (A day to come: the clock was set back.)
    day = (
        datetime.date(2000, 1, 1)
        if kept == "an ended day"
        else datetime.date(2999, 1, 1)
    )
    start, end = calendar.day_bounds(day)
    monkeypatch.setattr(calendar, "_today", (day, start.timestamp(), end.timestamp()))
    before = datetime.datetime.now(BOSTON).date()
    answer = calendar.today()
    assert answer != day
    assert answer in {before, datetime.datetime.now(BOSTON).date()}


def test_a_wall_clock_time_the_clocks_skip_does_not_exist():
    assert calendar.moment_at(datetime.date(2027, 3, 14), datetime.time(2, 30)) is None
    # 1:30 happens twice on November 1; it names the first (daylight) one.
    first_half_past_one = calendar.moment_at(
        datetime.date(2026, 11, 1), datetime.time(1, 30)
    )
    assert first_half_past_one.astimezone(datetime.UTC) == datetime.datetime(
        2026, 11, 1, 5, 30, tzinfo=datetime.UTC
    )


def test_opening_periods_of_a_day_in_boston_time_and_none_on_a_closure(practice):
    make_opening_hours(practice, weekdays=[1], opens="09:00", closes="12:00")
    make_opening_hours(practice, weekdays=[1], opens="14:00", closes="18:00")
    make_closure(practice, datetime.date(2026, 12, 29), public_note="Holidays")
    practice = current(practice)
    tuesday = datetime.date(2026, 12, 22)
    assert calendar.opening_periods(practice, tuesday) == [
        (
            datetime.datetime(2026, 12, 22, 9, tzinfo=BOSTON),
            datetime.datetime(2026, 12, 22, 12, tzinfo=BOSTON),
        ),
        (
            datetime.datetime(2026, 12, 22, 14, tzinfo=BOSTON),
            datetime.datetime(2026, 12, 22, 18, tzinfo=BOSTON),
        ),
    ]
    assert calendar.opening_periods(practice, datetime.date(2026, 12, 29)) == []
    assert calendar.opening_periods(practice, datetime.date(2026, 12, 23)) == []


def test_business_days_follow_the_hours_and_closures_else_monday_to_friday(practice):
    saturday, monday = datetime.date(2026, 12, 5), datetime.date(2026, 12, 7)
    assert [calendar.is_business_day(None, day) for day in (saturday, monday)] == [
        False,
        True,
    ]
    make_closure(practice, monday)
    assert calendar.is_business_day(current(practice), monday) is False
    make_opening_hours(practice, weekdays=[5])
    assert calendar.is_business_day(current(practice), saturday) is True


def test_each_reason_a_patient_cannot_have_a_day(practice):
    practice.request_horizon_days = 30
    practice.request_min_notice_hours = 48
    practice.save()
    make_opening_hours(practice, weekdays=[0, 1, 2, 3, 4])
    make_closure(practice, datetime.date(2026, 12, 24), public_note="Christmas Eve")
    practice = current(practice)
    now = datetime.datetime(2026, 12, 14, 16, 0, tzinfo=BOSTON)  # a Monday

    def reason(day):
        why = calendar.unavailable_reason(practice, day=day, now=now)
        return why and why.reason

    assert [
        reason(datetime.date(2026, 12, 13)),
        reason(datetime.date(2026, 12, 15)),
        reason(datetime.date(2026, 12, 16)),
        reason(datetime.date(2026, 12, 19)),
        reason(datetime.date(2026, 12, 24)),
        reason(datetime.date(2027, 1, 13)),
        reason(datetime.date(2027, 1, 14)),
    ] == [
        Reason.PAST,
        Reason.TOO_LITTLE_NOTICE,
        None,  # open until 17:00, 48 hours after Monday 16:00 is Wednesday 16:00
        Reason.CLOSED_WEEKDAY,
        Reason.CLOSURE,
        None,
        Reason.BEYOND_HORIZON,
    ]
    why = calendar.unavailable_reason(practice, day=datetime.date(2027, 1, 14), now=now)
    assert (why.last_day, why.horizon_days) == (datetime.date(2027, 1, 13), 30)


def test_notice_is_counted_in_real_hours_across_the_daylight_saving_change(practice):
    practice.request_min_notice_hours = 24
    practice.save()
    practice = current(practice)
    # Saturday 10:00 EDT + 24 real hours = Sunday 09:00 EST (the clocks went back at 2:00).
    now = datetime.datetime(2026, 10, 31, 10, 0, tzinfo=BOSTON)
    why = calendar.unavailable_reason(
        practice,
        start=datetime.datetime(2026, 11, 1, 9, 30, tzinfo=BOSTON),
        end=datetime.datetime(2026, 11, 1, 10, 0, tzinfo=BOSTON),
        now=now,
    )
    too_soon = calendar.unavailable_reason(
        practice,
        start=datetime.datetime(2026, 11, 1, 8, 30, tzinfo=BOSTON),
        end=datetime.datetime(2026, 11, 1, 9, 0, tzinfo=BOSTON),
        now=now,
    )
    assert why is None
    assert (too_soon.reason, too_soon.earliest) == (
        Reason.TOO_LITTLE_NOTICE,
        datetime.datetime(2026, 11, 1, 9, 0, tzinfo=BOSTON),
    )


def test_staff_are_held_to_the_hours_and_closures_but_not_to_notice_or_horizon(
    practice,
):
    practice.request_horizon_days = 7
    practice.request_min_notice_hours = 72
    practice.save()
    make_opening_hours(practice, weekdays=[1], opens="09:00", closes="12:00")
    practice = current(practice)
    now = datetime.datetime(2026, 12, 14, 16, 0, tzinfo=BOSTON)

    def reason(start, minutes=30):
        why = calendar.unavailable_reason(
            practice,
            start=start,
            end=start + datetime.timedelta(minutes=minutes),
            now=now,
            for_patients=False,
        )
        return why and why.reason

    tuesday_10 = datetime.datetime(2026, 12, 15, 10, 0, tzinfo=BOSTON)
    assert [
        reason(tuesday_10),
        reason(tuesday_10 + datetime.timedelta(weeks=8)),
        reason(tuesday_10, minutes=150),
        reason(tuesday_10 + datetime.timedelta(days=1)),
        reason(now - datetime.timedelta(minutes=1)),
    ] == [None, None, Reason.OUTSIDE_HOURS, Reason.CLOSED_WEEKDAY, Reason.PAST]


def test_without_a_practice_record_only_the_past_is_unavailable():
    now = datetime.datetime(2026, 12, 14, 16, 0, tzinfo=BOSTON)
    assert [
        calendar.unavailable_reason(
            None, day=datetime.date(2026, 12, 13), now=now
        ).reason,
        calendar.unavailable_reason(None, day=datetime.date(2026, 12, 19), now=now),
    ] == [Reason.PAST, None]
