import datetime
import re

import pytest
from django.utils import timezone

from appointments.models import Notification, Visit
from tests.factories import (
    STAFF_PASSWORD,
    make_appointment_request,
    make_front_desk_user,
    make_practitioner,
    make_totp_device,
    make_visit,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, code=""):
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("6-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()


def test_front_desk_signs_in_with_a_code_and_schedules_a_new_request(
    page, practice, assert_accessible
):
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    desk = make_front_desk_user()
    device = make_totp_device(desk)
    appointment_request = make_appointment_request(name="Jane Doe")
    # A Wednesday at least a week ahead: a usual working day whatever day the tests run.
    day = timezone.localdate() + datetime.timedelta(days=7)
    day += datetime.timedelta(days=(2 - day.weekday()) % 7)

    page.goto("/admin/")
    assert_accessible(page)
    sign_in(page, desk, totp_code(device))

    page.get_by_role("link", name="1 new request").click()
    assert_accessible(page)
    page.get_by_role("link", name=appointment_request.reference).click()
    page.get_by_role("link", name="Schedule a visit").click()
    assert_accessible(page)
    page.get_by_label("Practitioner").select_option(label="Robin Lee")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Time").fill("14:30")
    page.get_by_label("Duration").select_option(label="45 minutes")
    page.get_by_role("button", name="Book visit and send confirmation").click()

    message = page.locator(".messagelist").inner_text()
    assert "A confirmation email is on its way to the patient." in message
    visit = Visit.objects.get()
    assert (
        timezone.localtime(visit.starts_at).date(),
        timezone.localtime(visit.starts_at).time(),
        visit.practitioner,
    ) == (day, datetime.time(14, 30), practitioner)
    [confirmation] = Notification.objects.filter(kind="visit_confirmation")
    # Queued in the outbox; a worker left running by other tests may already have sent it.
    assert (confirmation.recipient, confirmation.visit) == ("jane@example.com", visit)
    assert confirmation.status in {"pending", "sending", "sent"}
    assert_accessible(page)


def test_schedule_view_is_accessible_and_keyboard_usable(
    page, practice, assert_accessible
):
    desk = make_front_desk_user()
    device = make_totp_device(desk)
    monday = timezone.localdate() - datetime.timedelta(
        days=timezone.localdate().weekday()
    )
    make_visit(
        starts_at=timezone.make_aware(
            datetime.datetime.combine(
                monday + datetime.timedelta(days=7), datetime.time(9, 0)
            )
        )
    )
    sign_in(page, desk, totp_code(device))

    page.goto("/admin/appointments/visit/schedule/?span=week")
    assert_accessible(page)
    # Tab to “Next week” and follow it with the keyboard alone.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Next week":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"span=week"))
    assert (
        page.locator("h1")
        .inner_text()
        .startswith(f"Week of {monday + datetime.timedelta(days=7):%A, %B %-d}")
    )
    assert page.locator(".frontdesk-schedule .cal-visit").count() == 1
    assert_accessible(page)


def test_lockout_page_is_accessible(page, practice, browser_errors, assert_accessible):
    browser_errors.allow(r"status of 429")
    desk = make_front_desk_user()
    make_totp_device(desk)
    for _ in range(5):
        page.goto("/admin/login/")
        page.get_by_label("Username").fill(desk.username)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()

    assert page.locator("h1").inner_text() == "Sign-in paused"
    assert "(617) 720-2329" in page.locator("#content-main").inner_text()
    assert_accessible(page)


def test_cancel_pages_are_accessible_and_valid(
    page, practice, live_server, assert_accessible, assert_valid_html
):
    visit = make_visit(starts_at=timezone.now() + datetime.timedelta(days=3))
    cancel_path = f"/appointments/visits/cancel/{visit.cancel_token}/"
    page.goto(cancel_path)
    assert page.locator("h1").inner_text() == "Change or cancel your visit"
    assert_accessible(page)
    page.get_by_label("Reason (optional)").fill("Feeling better")
    page.get_by_role("button", name="Cancel my visit").click()
    assert page.locator("h1").inner_text() == "Your visit is cancelled"
    assert_accessible(page)
    assert_valid_html(
        live_server.url + cancel_path,
        live_server.url + "/appointments/visits/cancel/not-a-token/",
    )
