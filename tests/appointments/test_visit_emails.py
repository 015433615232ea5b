import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from appointments import tasks
from appointments.models import CANCEL_LINK_SALT, Notification, StatusChange, Visit
from appointments.services.frontdesk import schedule_visit
from appointments.tasks import queue_visit_reminders, sweep_outbox
from tests.factories import (
    make_appointment_request,
    make_practitioner,
    make_staff_user,
    make_visit,
)
from tests.support.mail import calendar_parts

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")


@pytest.fixture
def booked(practice, settings):
    """Book a visit as the front desk does; returns a function taking the start time."""
    settings.SITE_URL = "https://www.kennis.example"

    def book(starts_at, **request_fields):
        fields = {"name": "Jane Doe", "note": "Numb toes", "email": "jane@example.com"}
        appointment_request = make_appointment_request(**(fields | request_fields))
        return schedule_visit(
            appointment_request=appointment_request,
            practitioner=make_practitioner(first_name="Robin", last_name="Lee"),
            starts_at=starts_at,
            duration=datetime.timedelta(minutes=30),
            by=make_staff_user(),
        )

    return book


def deliver(mailoutbox):
    tasks.deliver_due()
    return mailoutbox


@pytest.mark.parametrize(
    ("local_start", "words", "utc_offset"),
    [
        # Either side of the end of daylight saving time on 2026-11-01 …
        (
            datetime.datetime(2026, 10, 31, 10, 0),
            "Saturday, October 31, 2026, 10:00 a.m. to 10:30 a.m.",
            -4,
        ),
        (
            datetime.datetime(2026, 11, 2, 10, 0),
            "Monday, November 2, 2026, 10:00 a.m. to 10:30 a.m.",
            -5,
        ),
        # … and of its start on 2027-03-14.
        (
            datetime.datetime(2027, 3, 13, 15, 30),
            "Saturday, March 13, 2027, 3:30 p.m. to 4:00 p.m.",
            -5,
        ),
        (
            datetime.datetime(2027, 3, 15, 9, 0),
            "Monday, March 15, 2027, 9:00 a.m. to 9:30 a.m.",
            -4,
        ),
    ],
)
def test_confirmation_gives_the_time_in_words_and_a_correct_ics(
    booked, mailoutbox, local_start, words, utc_offset
):
    visit = booked(local_start.replace(tzinfo=BOSTON))

    [email] = deliver(mailoutbox)

    assert email.to == ["jane@example.com"]
    assert (
        email.subject == f"Your visit is booked ({visit.appointment_request.reference})"
    )
    assert f"When: {words}, Eastern Time (Boston)" in email.body
    [part] = calendar_parts(email)
    content = part["text"]
    assert (part["filename"], part["content_type"], part["method"]) == (
        "visit.ics",
        "text/calendar",
        "REQUEST",
    )
    calendar = Calendar.from_ical(content)
    [event] = calendar.events
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    assert str(event["UID"]) == f"{visit.uid}@www.kennis.example"
    start = event.start
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (
        local_start,
        "America/New_York",
    )
    assert start.utcoffset() == datetime.timedelta(hours=utc_offset)
    assert start == visit.starts_at
    assert event.end - event.start == datetime.timedelta(minutes=30)
    # The VTIMEZONE alone (as a calendar app reads it) gives the same instant.
    vtimezone_start = event.start.replace(tzinfo=calendar.timezones[0].to_tz())
    assert vtimezone_start == visit.starts_at
    for patient_data in ["Jane", "Doe", "Numb", "Neuropathy", "nerve"]:
        assert patient_data not in email.subject + email.body + content


def test_the_calendar_uid_stays_the_same_for_a_visit(booked, mailoutbox):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    Notification.objects.create(
        appointment_request=visit.appointment_request,
        visit=visit,
        kind="visit_confirmation",
        recipient="jane@example.com",
    )

    first, second = deliver(mailoutbox)

    uids = {
        str(Calendar.from_ical(calendar_parts(email)[0]["text"]).events[0]["UID"])
        for email in (first, second)
    }
    assert uids == {f"{visit.uid}@www.kennis.example"}


def test_booking_queues_the_confirmation_and_the_reminder_job(
    booked, django_capture_on_commit_callbacks
):
    starts_at = timezone.now() + datetime.timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        visit = booked(starts_at)

    confirmation = Notification.objects.get(kind="visit_confirmation")
    tasks = {
        task.task_path.rsplit(".", 1)[1]: task
        for task in DBTaskResult.objects.filter(status="READY")
    }
    assert (confirmation.visit, confirmation.status) == (visit, "pending")
    assert tasks["deliver_notification"].args_kwargs["args"] == [confirmation.pk]
    assert tasks["queue_visit_reminders"].run_after == starts_at - datetime.timedelta(
        hours=24
    )


def test_no_confirmation_without_an_email_address(booked, mailoutbox):
    booked(timezone.now() + datetime.timedelta(days=4), email="")

    assert (Notification.objects.count(), deliver(mailoutbox)) == (0, [])


def test_reminder_job_run_twice_sends_one_reminder(practice, mailoutbox, settings):
    settings.SITE_URL = "https://www.kennis.example"
    now = timezone.now()
    visit = make_visit(
        starts_at=now + datetime.timedelta(hours=23),
        created_at=now - datetime.timedelta(days=5),
    )

    assert (queue_visit_reminders.call(), queue_visit_reminders.call()) == (1, 0)
    [email] = deliver(mailoutbox)
    queue_visit_reminders.call()

    assert deliver(mailoutbox) == [email]
    assert email.subject == (
        f"Reminder of your visit ({visit.appointment_request.reference})"
    )
    assert "/appointments/visits/cancel/" in email.body


def test_the_outbox_sweep_also_sends_due_reminders_once(practice, mailoutbox):
    now = timezone.now()
    visit = make_visit(
        starts_at=now + datetime.timedelta(hours=12),
        created_at=now - datetime.timedelta(days=5),
    )

    assert (sweep_outbox.call(), sweep_outbox.call()) == (1, 0)
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (
            ["jane@example.com"],
            f"Reminder of your visit ({visit.appointment_request.reference})",
        )
    ]


def cancel_link(email):
    return re.search(r"https://www\.kennis\.example(/\S+)", email.body).group(1)


def test_cancel_link_get_shows_a_page_and_changes_nothing(booked, client, mailoutbox):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    [email] = deliver(mailoutbox)

    response = client.get(cancel_link(email))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Change or cancel your visit" in body
    assert '<button type="submit" class="button">Cancel my visit</button>' in body
    visit.refresh_from_db()
    visit.appointment_request.refresh_from_db()
    assert (visit.is_cancelled, visit.appointment_request.status) == (
        False,
        "scheduled",
    )


def test_cancel_link_post_cancels_and_tells_the_front_desk_without_patient_data(
    booked, client, mailoutbox, front_desk
):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    [confirmation] = deliver(mailoutbox)
    url = cancel_link(confirmation)

    response = client.post(url, {"reason": "My knee is better"})

    assert (response.status_code, response.url) == (303, url)
    visit.refresh_from_db()
    appointment_request = visit.appointment_request
    appointment_request.refresh_from_db()
    assert (
        visit.is_cancelled,
        visit.cancellation_reason,
        appointment_request.status,
    ) == (True, "My knee is better", "cancelled")
    assert list(
        StatusChange.objects.filter(to_status="cancelled").values_list(
            "from_status", "changed_by"
        )
    ) == [("scheduled", None)]
    assert "Your visit is cancelled" in client.get(url).content.decode()
    [_, patients_copy, notice] = deliver(mailoutbox)
    # The patient's calendar removes the event; the front desk learns of it.
    assert (patients_copy.to, patients_copy.subject) == (
        ["jane@example.com"],
        f"Your visit is cancelled ({appointment_request.reference})",
    )
    assert notice.to == ["frontdesk@example.com"]
    assert notice.subject == f"Visit cancelled online ({appointment_request.reference})"
    assert f"https://www.kennis.example{visit.get_admin_url()}" in notice.body
    for patient_data in ["Jane", "Doe", "knee", "jane@example.com", "Numb"]:
        assert patient_data not in notice.subject + notice.body
    # The time is free again.
    make_visit(practitioner=visit.practitioner, starts_at=visit.starts_at)


def test_cancelling_twice_changes_nothing_more(booked, client, front_desk):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    url = reverse("appointments:visit_cancel", args=[visit.cancel_token])

    client.post(url)
    client.post(url)

    assert (
        StatusChange.objects.filter(to_status="cancelled").count(),
        Notification.objects.filter(kind="cancellation_notice").count(),
    ) == (1, 1)


def test_a_tampered_cancel_link_is_refused(booked, client, practice):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    token = visit.cancel_token
    other = make_visit()
    forged = token.replace(token[1], "A" if token[1] != "A" else "B", 1)

    for url in [
        reverse("appointments:visit_cancel", args=[forged]),
        reverse("appointments:visit_cancel", args=[f"{other.pk}:{token}"]),
    ]:
        get, post = client.get(url), client.post(url)
        assert (get.status_code, post.status_code) == (400, 400)
        assert "This link does not work" in post.content.decode()
    assert list(Visit.objects.filter(cancelled_at__isnull=False)) == []


def test_a_cancel_link_from_months_ago_still_cancels_a_visit_booked_far_ahead(
    booked, client, front_desk
):
    visit = booked(timezone.now() + datetime.timedelta(days=4))

    class FourMonthsAgo(signing.TimestampSigner):
        # The confirmation email went out when the visit was booked, 124 days ahead.
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 120 * 24 * 3600)

    token = FourMonthsAgo(salt=CANCEL_LINK_SALT).sign_object(
        {"visit": visit.pk}, compress=True
    )
    url = reverse("appointments:visit_cancel", args=[token])

    response = client.post(url, {"reason": ""}, follow=True)

    assert "Your visit is cancelled" in response.content.decode()
    visit.refresh_from_db()
    assert visit.is_cancelled is True


def test_a_cancel_link_cancels_nothing_once_the_visit_has_begun(
    booked, client, practice
):
    visit = booked(timezone.now() + datetime.timedelta(days=4))
    url = reverse("appointments:visit_cancel", args=[visit.cancel_token])
    Visit.objects.filter(pk=visit.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    response = client.post(url, {"reason": ""}, follow=True)

    body = response.content.decode()
    assert "This visit has already begun" in body
    assert "(617) 720-2329" in body
    visit.refresh_from_db()
    assert visit.is_cancelled is False
