"""The .ics calendar files attached to visit emails: iTIP (RFC 5546) requests and cancellations.

A booking or a change is METHOD:REQUEST and a cancellation METHOD:CANCEL, all with the visit's one
UID, so the patient's calendar app adds, moves or removes the same event. The caller raises the
SEQUENCE on every change; a CANCEL must carry a higher one than the last REQUEST, or calendar
apps ignore it as out of date.
"""

import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
)

BOSTON = ZoneInfo("America/New_York")
METHODS = ("REQUEST", "CANCEL")

EST = datetime.timedelta(hours=-5)
EDT = datetime.timedelta(hours=-4)


def boston_vtimezone() -> Timezone:
    """America/New_York as two yearly rules: the US daylight-saving rule in force since 2007.

    Why not icalendar's Timezone.from_tzinfo / from_tzid (which add_missing_timezones uses): in
    icalendar 7.3 they turn zoneinfo's transitions into one comma-separated RDATE list per
    observance, for a fixed range of years only, and have no option to write rules. Thunderbird's
    parser (ical.js) and vobject read only the first value of such a list, so a summer after the
    first one came out an hour off. Two yearly RRULEs with no end, the form of Thunderbird's own
    zone data, read right in every client for every year. The rule is written here from the law
    (second Sunday in March, first Sunday in November, at 2:00), not derived from zoneinfo,
    because no library here turns zoneinfo into rules; tests/appointments/test_calendar_files.py
    checks it against zoneinfo for every change through 2037, so a tzdata update that brings a
    new US rule fails the suite instead of sending wrong times. No visit is older than 2007, so
    the zone starts with the rule.
    """
    daylight = TimezoneDaylight()
    # An observance's DTSTART is the local time just before the change (RFC 5545, 3.6.5).
    daylight.add("dtstart", datetime.datetime(2007, 3, 11, 2, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "2SU"})
    daylight.add("tzoffsetfrom", EST)
    daylight.add("tzoffsetto", EDT)
    daylight.add("tzname", "EDT")

    standard = TimezoneStandard()
    standard.add("dtstart", datetime.datetime(2007, 11, 4, 2, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 11, "byday": "1SU"})
    standard.add("tzoffsetfrom", EDT)
    standard.add("tzoffsetto", EST)
    standard.add("tzname", "EST")

    vtimezone = Timezone()
    vtimezone.add("tzid", "America/New_York")
    vtimezone.add_component(daylight)
    vtimezone.add_component(standard)
    return vtimezone


def organizer_address(practice) -> vCalAddress:
    """The practice as the event's organizer: its email if set, else the site's sender address."""
    _, email = parseaddr(
        practice.email if practice and practice.email else settings.DEFAULT_FROM_EMAIL
    )
    return vCalAddress.new(email, cn=practice.name if practice else None)


def visit_calendar(
    visit,
    *,
    practice,
    domain: str,
    method: str = "REQUEST",
    sequence: int = 0,
    attendee: str = "",
) -> bytes:
    """One VEVENT in Boston time with its VTIMEZONE; the UID stays the same for this visit.

    The summary names the practice only, and the attendee is the patient's address alone, with
    no name: calendars sync to other services, so no other patient data goes in.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    calendar = Calendar()
    calendar.add("prodid", "-//Practice website//Visits//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(boston_vtimezone())

    event = Event()
    event.add("uid", f"{visit.uid}@{domain}")
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", visit.starts_at.astimezone(BOSTON))
    event.add("dtend", visit.ends_at.astimezone(BOSTON))
    event.add("sequence", sequence)
    event.add("organizer", organizer_address(practice))
    if attendee:
        # RSVP=FALSE: the patient answers by phone or the cancel link, not from the calendar.
        event.add("attendee", vCalAddress.new(attendee, rsvp=False))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if practice is not None:
        event.add("summary", f"Visit at {practice.name}")
        event.add(
            "location",
            f"{practice.street_address}, {practice.locality_line}",
        )
        event.add(
            "description",
            f"To change or cancel, call {practice.phone_display}.",
        )
    else:
        event.add("summary", "Visit")
    calendar.add_component(event)
    return calendar.to_ical()


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
