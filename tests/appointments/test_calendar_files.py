"""The visit .ics files as calendar apps read them: ical.js (Thunderbird), vobject and icalendar.

Each reader converts times with the file's own VTIMEZONE, not a time zone database of its own:
that is what a patient's calendar app does, and what went wrong before (the VTIMEZONE listed
later years as comma-separated RDATEs, of which ical.js and vobject read only the first).
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from appointments import tasks
from appointments.outbox.calendar_files import visit_calendar
from appointments.services.frontdesk import schedule_visit
from tests.factories import (
    make_appointment_request,
    make_practitioner,
    make_staff_user,
    make_visit,
)
from tests.support.calendar_apps import read_with_icaljs
from tests.support.mail import calendar_parts

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
UTC = datetime.UTC
DOMAIN = "www.kennis.example"


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).astimezone(UTC)


def read_with_icalendar(ics: bytes, local: datetime.datetime) -> datetime.datetime:
    """`local` (naive, Boston wall time) in UTC by icalendar, through the file's VTIMEZONE."""
    [vtimezone] = Calendar.from_ical(ics).timezones
    # lookup_tzid=False: build the zone from the VTIMEZONE instead of zoneinfo's by name.
    return local.replace(tzinfo=vtimezone.to_tz(lookup_tzid=False)).astimezone(UTC)


def read_with_vobject(ics: bytes, local: datetime.datetime) -> datetime.datetime:
    """`local` (naive, Boston wall time) in UTC by vobject, through the file's VTIMEZONE.

    vobject keeps the first VTIMEZONE it meets per TZID for the whole process (or pytz's zone),
    so the event's own tzinfo may not be this file's: gettzinfo() reads this file's.
    """
    calendar = vobject.readOne(ics.decode())
    return local.replace(tzinfo=calendar.vtimezone.gettzinfo()).astimezone(UTC)


def vobject_event(ics: bytes):
    return vobject.readOne(ics.decode()).vevent


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # Either side of the end of daylight saving time on 2026-11-01 (and that morning) …
        (datetime.datetime(2026, 10, 31, 10, 0), "2026-10-31T14:00:00Z"),
        (datetime.datetime(2026, 11, 1, 9, 0), "2026-11-01T14:00:00Z"),
        (datetime.datetime(2026, 11, 2, 10, 0), "2026-11-02T15:00:00Z"),
        # … and of its start on 2027-03-14 …
        (datetime.datetime(2027, 3, 13, 15, 30), "2027-03-13T20:30:00Z"),
        (datetime.datetime(2027, 3, 15, 9, 0), "2027-03-15T13:00:00Z"),
        # … and the summers after, which the RDATE lists got an hour wrong.
        (datetime.datetime(2027, 7, 1, 10, 0), "2027-07-01T14:00:00Z"),
        (datetime.datetime(2028, 7, 1, 10, 0), "2028-07-01T14:00:00Z"),
    ],
)
def test_calendar_apps_put_the_visit_at_its_real_time(practice, local_start, utc_start):
    visit = make_visit(starts_at=local_start.replace(tzinfo=BOSTON))
    ics = visit_calendar(visit, practice=practice, domain=DOMAIN)
    utc_end = utc(utc_start) + datetime.timedelta(minutes=30)

    icaljs = read_with_icaljs(ics)
    calendar = vobject.readOne(ics.decode())

    assert (icaljs["tzid"], utc(icaljs["start"]), utc(icaljs["end"])) == (
        "America/New_York",
        utc(utc_start),
        utc_end,
    )
    start = calendar.vevent.dtstart.value
    assert (calendar.vtimezone.tzid.value, start.replace(tzinfo=None)) == (
        "America/New_York",
        local_start,
    )
    assert read_with_vobject(ics, local_start) == utc(utc_start)
    # As a long-running vobject process reads it, with the zone of the first such file it read.
    assert start.astimezone(UTC) == utc(utc_start)
    assert read_with_icalendar(ics, local_start) == utc(utc_start)


def boston_transition_days(first_year: int, last_year: int) -> list[datetime.date]:
    """The days Boston's clocks change, as zoneinfo has them."""
    days = []
    day = datetime.date(first_year, 1, 1)
    while day.year <= last_year:
        noon = datetime.datetime.combine(day, datetime.time(12), BOSTON)
        next_noon = noon + datetime.timedelta(days=1)
        if noon.utcoffset() != next_noon.utcoffset():
            days.append(next_noon.date())
        day += datetime.timedelta(days=1)
    return days


def test_a_files_time_zone_is_right_in_every_year_not_only_the_visits(practice):
    visit = make_visit(starts_at=datetime.datetime(2026, 10, 31, 10, 0, tzinfo=BOSTON))
    ics = visit_calendar(visit, practice=practice, domain=DOMAIN)
    # Around every change under today's US rule through 2037: noon the day before and after,
    # and the hours just before and after the change (none of them missing or repeated on the
    # clock). The file's zone begins with that rule, on 2007-03-11 at 3:00 daylight time.
    transition_days = boston_transition_days(2007, 2037)
    local_times = [
        local
        for day in transition_days
        for days, time in [
            (-1, datetime.time(12)),
            (0, datetime.time(0, 59)),
            (0, datetime.time(3)),
            (1, datetime.time(12)),
        ]
        if (local := datetime.datetime.combine(day + datetime.timedelta(days), time))
        >= datetime.datetime(2007, 3, 11, 3)
    ]
    expected = {
        local: local.replace(tzinfo=BOSTON).astimezone(UTC) for local in local_times
    }

    icaljs = read_with_icaljs(ics, *(local.isoformat() for local in local_times))

    assert (len(transition_days), len(local_times)) == (2 * 31, 2 * 31 * 4 - 2)
    assert {
        local: utc(icaljs["local_times"][local.isoformat()]) for local in local_times
    } == expected
    assert {local: read_with_vobject(ics, local) for local in local_times} == expected
    assert {local: read_with_icalendar(ics, local) for local in local_times} == expected


def test_the_clock_changes_at_two_in_the_morning_in_ical_js(practice):
    visit = make_visit(starts_at=datetime.datetime(2026, 10, 31, 10, 0, tzinfo=BOSTON))
    ics = visit_calendar(visit, practice=practice, domain=DOMAIN)

    icaljs = read_with_icaljs(
        ics,
        "2026-11-01T00:59:00",
        "2026-11-01T02:00:00",
        "2027-03-14T01:59:00",
        "2027-03-14T03:00:00",
        "2028-07-01T10:00:00",
    )

    assert icaljs["local_times"] == {
        "2026-11-01T00:59:00": "2026-11-01T04:59:00.000Z",
        "2026-11-01T02:00:00": "2026-11-01T07:00:00.000Z",
        "2027-03-14T01:59:00": "2027-03-14T06:59:00.000Z",
        "2027-03-14T03:00:00": "2027-03-14T07:00:00.000Z",
        "2028-07-01T10:00:00": "2028-07-01T14:00:00.000Z",
    }


def test_a_cancellation_removes_the_same_event_as_the_booking_made(practice):
    visit = make_visit(starts_at=datetime.datetime(2027, 3, 15, 9, 0, tzinfo=BOSTON))
    booking = visit_calendar(
        visit, practice=practice, domain=DOMAIN, attendee="jane@example.com"
    )
    change = visit_calendar(
        visit,
        practice=practice,
        domain=DOMAIN,
        sequence=1,
        attendee="jane@example.com",
    )
    cancellation = visit_calendar(
        visit,
        practice=practice,
        domain=DOMAIN,
        method="CANCEL",
        sequence=2,
        attendee="jane@example.com",
    )

    read = [read_with_icaljs(ics) for ics in (booking, change, cancellation)]

    uid = f"{visit.uid}@{DOMAIN}"
    assert [
        (file["method"], file["uid"], file["sequence"], file["status"], file["start"])
        for file in read
    ] == [
        ("REQUEST", uid, 0, "CONFIRMED", "2027-03-15T13:00:00.000Z"),
        ("REQUEST", uid, 1, "CONFIRMED", "2027-03-15T13:00:00.000Z"),
        ("CANCEL", uid, 2, "CANCELLED", "2027-03-15T13:00:00.000Z"),
    ]
    assert read[2]["attendees"] == read[0]["attendees"]
    parsed = Calendar.from_ical(cancellation)
    [event] = parsed.events
    assert (
        str(parsed["METHOD"]),
        str(event["UID"]),
        event["SEQUENCE"],
        str(event["STATUS"]),
    ) == ("CANCEL", uid, 2, "CANCELLED")
    event = vobject_event(cancellation)
    assert (event.uid.value, event.sequence.value, event.status.value) == (
        uid,
        "2",
        "CANCELLED",
    )


def test_the_practice_organizes_and_the_patient_attends_by_address_only(practice):
    practice.email = "office@kennis.example"
    visit = make_visit(starts_at=datetime.datetime(2027, 7, 1, 10, 0, tzinfo=BOSTON))

    ics = visit_calendar(
        visit, practice=practice, domain=DOMAIN, attendee="jane@example.com"
    )

    icaljs = read_with_icaljs(ics)
    assert (icaljs["organizer"], icaljs["attendees"]) == (
        {
            "value": "mailto:office@kennis.example",
            "parameters": {"cn": "Dr. Jeffrey I. Kennis, D.C."},
        },
        [{"value": "mailto:jane@example.com", "parameters": {"rsvp": "FALSE"}}],
    )
    event = vobject_event(ics)
    assert (event.organizer.value, event.organizer.params) == (
        "mailto:office@kennis.example",
        {"CN": ["Dr. Jeffrey I. Kennis, D.C."]},
    )
    assert [(a.value, a.params) for a in event.attendee_list] == [
        ("mailto:jane@example.com", {"RSVP": ["FALSE"]})
    ]
    for patient_data in ["Jane", "Doe", "555", "neuropathy"]:
        assert patient_data not in ics.decode()


def test_without_a_practice_email_the_site_sender_organizes(practice, settings):
    settings.DEFAULT_FROM_EMAIL = "Kennis Chiropractic <website@kennis.example>"
    practice.name = 'Kennis "North End" Chiropractic; Boston: MA'
    visit = make_visit(starts_at=datetime.datetime(2027, 7, 1, 10, 0, tzinfo=BOSTON))

    icaljs = read_with_icaljs(visit_calendar(visit, practice=practice, domain=DOMAIN))

    assert (icaljs["organizer"], icaljs["attendees"]) == (
        {
            "value": "mailto:website@kennis.example",
            "parameters": {"cn": 'Kennis "North End" Chiropractic; Boston: MA'},
        },
        [],
    )


def test_the_confirmation_email_invites_its_recipient(practice, settings, mailoutbox):
    settings.SITE_URL = f"https://{DOMAIN}"
    practice.email = "office@kennis.example"
    practice.save()
    visit = schedule_visit(
        appointment_request=make_appointment_request(email="jane@example.com"),
        practitioner=make_practitioner(),
        starts_at=datetime.datetime(2027, 7, 1, 10, 0, tzinfo=BOSTON),
        duration=datetime.timedelta(minutes=30),
        by=make_staff_user(),
    )

    tasks.deliver_due()

    [email] = mailoutbox
    [part] = calendar_parts(email)
    assert part["method"] == "REQUEST"
    icaljs = read_with_icaljs(part["text"].encode())
    assert (
        icaljs["method"],
        icaljs["uid"],
        icaljs["sequence"],
        icaljs["status"],
        icaljs["start"],
        icaljs["organizer"]["value"],
        icaljs["attendees"],
    ) == (
        "REQUEST",
        f"{visit.uid}@{DOMAIN}",
        0,
        "CONFIRMED",
        "2027-07-01T14:00:00.000Z",
        "mailto:office@kennis.example",
        [{"value": "mailto:jane@example.com", "parameters": {"rsvp": "FALSE"}}],
    )
