"""The .ics calendar file attached to a visit confirmation."""

import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

BOSTON = ZoneInfo("America/New_York")


def visit_calendar(
    visit, *, practice, domain: str, method="REQUEST", sequence=0, attendee=""
) -> bytes:
    """One VEVENT in Boston time with its VTIMEZONE; the UID stays the same for this visit.

    The summary names the practice only: calendars sync to other services, so no patient data.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Practice website//Visit confirmation//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{visit.uid}@{domain}")
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", visit.starts_at.astimezone(BOSTON))
    event.add("dtend", visit.ends_at.astimezone(BOSTON))
    event.add("sequence", sequence)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
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
    # VTIMEZONE rules for the years around the visit, so every calendar app shows the right
    # local time whichever side of a daylight-saving change the visit falls.
    year = timezone.localtime(visit.starts_at).year
    calendar.add_missing_timezones(
        first_date=datetime.date(year - 1, 1, 1),
        last_date=datetime.date(year + 2, 1, 1),
    )
    return calendar.to_ical()


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
