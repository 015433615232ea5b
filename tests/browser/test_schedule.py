"""The front desk runs the schedule in a real browser: a phone-in patient, a series, a move and
a cancellation; every page we added passes axe-core and the Nu HTML Checker, at desktop and
phone width, and works by keyboard."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Patient, Visit
from tests.browser.test_frontdesk import sign_in
from tests.factories import (
    make_front_desk_user,
    make_practitioner,
    make_totp_device,
    make_visit_type,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_weekday(weekday, weeks_ahead=1):
    today = timezone.localdate()
    return today + datetime.timedelta(
        days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead
    )


def test_a_phone_in_patient_gets_a_series_then_one_visit_moves_and_one_is_cancelled(
    page, practice, assert_accessible, assert_valid_html
):
    make_practitioner(first_name="Robin", last_name="Lee")
    make_visit_type(name="Follow-up", duration_minutes=20)
    desk = make_front_desk_user()
    device = make_totp_device(desk)
    tuesday = next_weekday(1)
    pages = []

    sign_in(page, desk, totp_code(device))
    page.get_by_role("link", name="Find them under Patients").click()
    page.get_by_role("link", name="Add patient").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Maria Rossi")
    page.get_by_label("Phone").fill("(617) 555-0199")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".field-number .readonly")).to_have_text(
        re.compile(r"Patient #\d+")
    )
    patient = Patient.objects.get()
    pages.append(page.content())

    page.get_by_role("link", name="Book a series").click()
    assert_accessible(page)
    page.get_by_label("Practitioner").select_option(label="Robin Lee")
    page.get_by_label("Visit type").select_option(label="Follow-up, 20 min")
    page.get_by_label("From").fill(tuesday.isoformat())
    page.get_by_label("Tuesday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("For (weeks)").fill("3")
    page.get_by_role("button", name="Check these times").click()
    expect(page.locator(".staff-series tbody tr")).to_have_count(6)
    assert_accessible(page)
    pages.append(page.content())
    page.get_by_role("button", name="Book these visits").click()
    expect(page.locator(".messagelist")).to_contain_text("6 visits booked")
    assert Visit.objects.filter(patient=patient, status="booked").count() == 6

    first, second = Visit.objects.filter(patient=patient).order_by("starts_at")[:2]
    page.get_by_role("link", name=first.time_in_words).click()
    assert_accessible(page)
    pages.append(page.content())
    page.get_by_label("New date").fill(
        (tuesday + datetime.timedelta(days=1)).isoformat()
    )
    page.get_by_label("New time").fill("11:30")
    page.get_by_role("button", name="Move the visit").click()
    expect(page.locator(".messagelist")).to_contain_text("Visit moved to Wednesday")

    page.goto(second.get_admin_url())
    page.get_by_role("link", name="Cancel this visit…").click()
    assert_accessible(page)
    pages.append(page.content())
    page.get_by_label("Reason").fill("Patient is travelling")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.locator(".messagelist")).to_contain_text("Visit cancelled")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (
        timezone.localtime(first.starts_at).time(),
        first.sequence,
        second.status,
        Visit.objects.filter(patient=patient).exclude(status="cancelled").count(),
    ) == (datetime.time(11, 30), 1, "cancelled", 5)
    assert_valid_html(*pages)


def test_booking_pages_work_at_phone_width_and_by_keyboard(
    page, practice, assert_accessible
):
    make_practitioner(first_name="Robin", last_name="Lee")
    desk = make_front_desk_user()
    device = make_totp_device(desk)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, desk, totp_code(device))
    page.goto("/admin/appointments/visit/book/")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1

    # Keyboard only: type the patient, the time, and press Enter on the button.
    page.get_by_label("Patient's name").focus()
    page.keyboard.type("Walk In")
    page.get_by_label("Date").fill(next_weekday(2).isoformat())
    page.get_by_label("Time").focus()
    page.keyboard.type("0930AM")
    page.get_by_label("Booked by").select_option(label="Walk-in")
    page.get_by_role("button", name="Book visit and send confirmation").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/appointments/visit/\d+/change/$"))
    visit = Visit.objects.get()
    assert (visit.patient.name, visit.source, visit.call_needed) == (
        "Walk In",
        "walk_in",
        "confirm",
    )
    assert_accessible(page)
