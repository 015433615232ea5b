"""The open-times engine (appointments/services/open_times.py): what a patient may pick, from
the practice's hours and closures, the notice and horizon, and the practitioners' visits."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from appointments.models import VisitStatus
from appointments.services import open_times as engine
from clinic.models import Practice
from tests.factories import (
    make_closure,
    make_opening_hours,
    make_patient,
    make_practitioner,
    make_visit,
    make_visit_type,
)

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
# A fixed Monday well ahead; "now" is the Friday before it, so nothing rolls over.
MONDAY = datetime.date(2027, 2, 1)
NOW = datetime.datetime(2027, 1, 29, 12, 0, tzinfo=BOSTON)


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BOSTON)


def clock(times):
    """The times as a patient reads them: Boston wall clock."""
    return [t.local_start.strftime("%H:%M") for t in times]


def setup(practice, *, hours=("09:00", "12:00"), weekdays=(0, 1, 2, 3, 4), **settings):
    for name, value in {"online_booking_horizon_days": 60, **settings}.items():
        setattr(practice, name, value)
    practice.save()
    make_opening_hours(practice, weekdays=weekdays, opens=hours[0], closes=hours[1])
    return Practice.get_current()


def times_on(day, visit_type, **kwargs):
    kwargs.setdefault("now", NOW)
    return engine.open_times(
        visit_type=visit_type, first_day=day, last_day=day, **kwargs
    )


@pytest.fixture
def doctor(db):
    return make_practitioner(first_name="Jeffrey", last_name="Kennis")


def test_times_run_one_visit_apart_from_opening_inside_the_hours(practice, doctor):
    setup(practice)
    short = make_visit_type(duration_minutes=30)
    exam = make_visit_type(duration_minutes=45, buffer_minutes=15)

    assert clock(times_on(MONDAY, short)) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    # Length plus buffer apart; the last visit ends by closing (its buffer may run past it).
    assert clock(times_on(MONDAY, exam)) == ["09:00", "10:00", "11:00"]
    assert {t.practitioner for t in times_on(MONDAY, exam)} == {doctor}
    assert times_on(MONDAY, exam)[0].ends_at == at(MONDAY, 9, 45)


def test_a_set_step_offers_more_start_times(practice, doctor):
    setup(practice, hours=("09:00", "10:00"), online_booking_step_minutes=15)
    visit_type = make_visit_type(duration_minutes=30)
    assert clock(times_on(MONDAY, visit_type)) == ["09:00", "09:15", "09:30"]


def test_visits_block_their_time_and_buffer_and_the_new_visit_needs_its_buffer(
    practice, doctor
):
    setup(practice, online_booking_step_minutes=15)
    make_visit(
        practitioner=doctor,
        starts_at=at(MONDAY, 10),
        duration=datetime.timedelta(minutes=30),
        buffer=datetime.timedelta(minutes=15),
    )
    plain = make_visit_type(duration_minutes=30)
    with_buffer = make_visit_type(duration_minutes=30, buffer_minutes=15)

    # The visit and its buffer keep 10:00 to 10:45.
    assert clock(times_on(MONDAY, plain)) == [
        "09:00",
        "09:15",
        "09:30",
        "10:45",
        "11:00",
        "11:15",
        "11:30",
    ]
    # A visit with a buffer must end 15 minutes before 10:00 too.
    assert clock(times_on(MONDAY, with_buffer)) == [
        "09:00",
        "09:15",
        "10:45",
        "11:00",
        "11:15",
        "11:30",
    ]


def test_a_held_visit_blocks_like_a_booked_one_and_freed_ones_do_not(practice, doctor):
    setup(practice, hours=("09:00", "11:00"))
    visit_type = make_visit_type(duration_minutes=30)
    patient = make_patient()
    statuses = {
        VisitStatus.HELD: at(MONDAY, 9),
        VisitStatus.BOOKED: at(MONDAY, 9, 30),
        VisitStatus.CANCELLED: at(MONDAY, 10),
        VisitStatus.DECLINED: at(MONDAY, 10),
        VisitStatus.EXPIRED: at(MONDAY, 10, 30),
    }
    for status, starts_at in statuses.items():
        make_visit(
            patient=patient, practitioner=doctor, starts_at=starts_at, status=status
        )

    assert clock(times_on(MONDAY, visit_type)) == ["10:00", "10:30"]


def test_closures_and_closed_weekdays_offer_nothing(practice, doctor):
    setup(practice)
    tuesday, saturday = MONDAY + datetime.timedelta(1), MONDAY + datetime.timedelta(5)
    make_closure(practice, tuesday, public_note="Snow day")
    visit_type = make_visit_type(duration_minutes=30)

    times = engine.open_times(
        visit_type=visit_type, first_day=MONDAY, last_day=saturday, now=NOW
    )
    assert [day for day, _ in engine.by_day(times)] == [
        MONDAY,
        MONDAY + datetime.timedelta(2),
        MONDAY + datetime.timedelta(3),
        MONDAY + datetime.timedelta(4),
    ]


def test_no_hours_entered_means_no_times_rather_than_invented_ones(practice, doctor):
    practice.online_booking_horizon_days = 30
    practice.save()
    assert times_on(MONDAY, make_visit_type()) == []


def test_the_minimum_notice_and_the_past_are_never_offered(practice, doctor):
    setup(practice, request_min_notice_hours=2)
    visit_type = make_visit_type(duration_minutes=30)
    now = at(MONDAY, 8, 15)

    # 8:15 + 2 hours = 10:15: the first start on or after it.
    assert clock(times_on(MONDAY, visit_type, now=now)) == ["10:30", "11:00", "11:30"]
    assert times_on(MONDAY - datetime.timedelta(7), visit_type, now=now) == []


def test_nothing_beyond_the_online_horizon_nor_the_request_horizon(practice, doctor):
    setup(practice, online_booking_horizon_days=7)
    visit_type = make_visit_type(duration_minutes=30)
    times = engine.open_times(visit_type=visit_type, now=NOW)
    # Friday Jan 29 + 7 days = Friday Feb 5: the last day offered.
    assert {t.day for t in times} == {MONDAY + datetime.timedelta(n) for n in range(5)}
    assert engine.last_bookable_day(Practice.get_current(), now=NOW) == datetime.date(
        2027, 2, 5
    )

    practice.request_horizon_days = 4  # the nearer limit wins
    practice.save()
    times = engine.open_times(visit_type=visit_type, now=NOW)
    assert {t.day for t in times} == {MONDAY, MONDAY + datetime.timedelta(1)}


def test_the_monday_after_the_clocks_change_starts_at_nine_boston_time(
    practice, doctor
):
    setup(practice, hours=("09:00", "10:00"), online_booking_horizon_days=120)
    visit_type = make_visit_type(duration_minutes=60)
    before, after = datetime.date(2027, 3, 8), datetime.date(2027, 3, 15)

    [winter] = times_on(before, visit_type)
    [summer] = times_on(after, visit_type)
    assert (
        winter.starts_at.astimezone(datetime.UTC).hour,
        winter.local_start.hour,
    ) == (
        14,
        9,
    )
    assert (
        summer.starts_at.astimezone(datetime.UTC).hour,
        summer.local_start.hour,
    ) == (
        13,
        9,
    )


def test_daylight_saving_nights_offer_each_real_moment_once(practice, doctor):
    # A practice open through the night (Sunday 00:00 to 04:00), hourly visits.
    setup(
        practice,
        hours=("00:00", "04:00"),
        weekdays=[6],
        online_booking_horizon_days=366,
    )
    visit_type = make_visit_type(duration_minutes=60)
    now = datetime.datetime(2026, 10, 1, 12, tzinfo=BOSTON)
    fall_back, spring_forward = datetime.date(2026, 11, 1), datetime.date(2027, 3, 14)

    fall = times_on(fall_back, visit_type, now=now)
    spring = times_on(spring_forward, visit_type, now=now)

    # November 1: five real hours; 1:00 comes twice (daylight, then standard time).
    assert [t.local_start.strftime("%H:%M %Z") for t in fall] == [
        "00:00 EDT",
        "01:00 EDT",
        "01:00 EST",
        "02:00 EST",
        "03:00 EST",
    ]
    # March 14: three real hours; 2:00 does not exist.
    assert [t.local_start.strftime("%H:%M %Z") for t in spring] == [
        "00:00 EST",
        "01:00 EST",
        "03:00 EDT",
    ]


def test_any_practitioner_offers_a_time_while_one_of_them_is_free(practice):
    setup(practice, hours=("09:00", "10:00"))
    first = make_practitioner(first_name="Ann", order=1)
    second = make_practitioner(first_name="Bob", order=2)
    make_practitioner(first_name="Gone", is_bookable=False)
    visit_type = make_visit_type(duration_minutes=30)
    patient = make_patient()
    make_visit(patient=patient, practitioner=first, starts_at=at(MONDAY, 9))
    make_visit(patient=patient, practitioner=first, starts_at=at(MONDAY, 9, 30))
    make_visit(patient=patient, practitioner=second, starts_at=at(MONDAY, 9, 30))

    anyone = times_on(MONDAY, visit_type)
    assert [(clock([t])[0], t.practitioner) for t in anyone] == [("09:00", second)]
    assert times_on(MONDAY, visit_type, practitioner=first) == []


def test_a_visit_being_moved_does_not_block_its_own_time(practice, doctor):
    setup(practice, hours=("09:00", "10:00"))
    visit_type = make_visit_type(duration_minutes=30)
    visit = make_visit(practitioner=doctor, starts_at=at(MONDAY, 9))
    assert clock(times_on(MONDAY, visit_type)) == ["09:30"]
    assert clock(times_on(MONDAY, visit_type, ignoring=visit)) == ["09:00", "09:30"]


def test_a_form_value_names_one_time_and_forged_values_name_none(practice, doctor):
    setup(practice)
    times = times_on(MONDAY, make_visit_type(duration_minutes=30))
    chosen = times[2]
    assert engine.find(times, chosen.key) == chosen
    assert engine.parse_key(chosen.key) == (doctor.pk, at(MONDAY, 10))
    for forged in [
        "",
        "x",
        f"{doctor.pk}@2027-02-01T15:05:00Z",  # inside the hours, not a start time
        f"{doctor.pk}@2027-02-01T15:00",
        f"-1@{chosen.key.partition('@')[2]}",
        f"{doctor.pk}@9999-99-99T99:99:99Z",
        chosen.key + "0" * 50,
    ]:
        assert engine.find(times, forged) is None
    assert engine.parse_key("-1@2027-02-01T15:00:00Z") is None
    assert engine.parse_key("1@2027-13-01T15:00:00Z") is None


def test_nearest_times_surround_the_one_just_taken(practice, doctor):
    setup(practice)
    times = times_on(MONDAY, make_visit_type(duration_minutes=30))
    assert clock(engine.nearest(times, at(MONDAY, 10, 30), count=3)) == [
        "10:00",
        "10:30",
        "11:00",
    ]


def test_the_query_count_does_not_grow_with_the_number_of_visits(practice, doctor):
    setup(practice, hours=("08:00", "18:00"), online_booking_horizon_days=366)
    other = make_practitioner(first_name="Ann")
    visit_type = make_visit_type(duration_minutes=30)
    patient = make_patient()
    now = datetime.datetime(2027, 1, 1, 12, tzinfo=BOSTON)

    def count_queries():
        Practice.get_current()  # the cached record, as every page has it
        with CaptureQueriesContext(connection) as queries:
            times = engine.open_times(visit_type=visit_type, now=now)
        return len(queries), times

    few, before = count_queries()
    for week in range(40):
        for hour in (8, 10, 13, 15):
            make_visit(
                patient=patient,
                practitioner=doctor if week % 2 else other,
                starts_at=at(MONDAY + datetime.timedelta(weeks=week), hour),
            )
    many, after = count_queries()
    assert few == many == 2  # the practitioners, the visits of the whole year
    assert len(after) == len(before)  # each time is still free with one of the two


def test_the_database_refuses_a_visit_over_a_held_one_but_not_over_a_freed_one(doctor):
    patient = make_patient()
    make_visit(
        patient=patient, practitioner=doctor, starts_at=at(MONDAY, 9), status="held"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        make_visit(patient=patient, practitioner=doctor, starts_at=at(MONDAY, 9, 15))
    for status in (VisitStatus.DECLINED, VisitStatus.EXPIRED, VisitStatus.CANCELLED):
        make_visit(
            patient=patient,
            practitioner=doctor,
            starts_at=at(MONDAY, 10),
            status=status,
        )
    make_visit(patient=patient, practitioner=doctor, starts_at=at(MONDAY, 10))


def test_a_page_of_days_finds_times_beyond_a_closed_month_and_stops_at_the_horizon(
    practice, doctor
):
    # Open on Mondays only, closed for the first five weeks: the first open days lie far past
    # the first window the page reads, and the horizon ends the search.
    setup(practice, weekdays=(0,), online_booking_horizon_days=90)
    make_closure(practice, MONDAY, MONDAY + datetime.timedelta(days=34))
    exam = make_visit_type(duration_minutes=60)

    days = engine.days_with_times(visit_type=exam, count=10, now=NOW)

    first_open = MONDAY + datetime.timedelta(days=35)
    last_day = datetime.date(2027, 4, 29)  # 90 days after NOW
    mondays = [first_open + datetime.timedelta(weeks=n) for n in range(10)]
    assert [day for day, _ in days] == [m for m in mondays if m <= last_day]
    assert len(days) == 8
    assert all(clock(times) == ["09:00", "10:00", "11:00"] for _, times in days)


def test_the_nearest_times_to_a_taken_one_come_from_around_it(practice, doctor):
    setup(practice, online_booking_horizon_days=200)
    exam = make_visit_type(duration_minutes=60)
    taken = at(MONDAY + datetime.timedelta(weeks=20), 10)

    nearest = engine.nearest_open_times(visit_type=exam, moment=taken, count=4, now=NOW)

    assert [t.starts_at for t in nearest] == [
        taken - datetime.timedelta(hours=1),
        taken,
        taken + datetime.timedelta(hours=1),
        at(MONDAY + datetime.timedelta(weeks=20, days=1), 9),
    ]
