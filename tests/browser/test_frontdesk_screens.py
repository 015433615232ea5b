"""The front desk's screens in Chromium: book from a free time in the week, see the clash
suggestion, print the day; the owner's set-up warnings go as the practice record fills; axe-core
and the Nu HTML Checker on every screen at desktop and phone width."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Visit
from tests.browser.test_frontdesk import sign_in
from tests.factories import (
    make_appointment_request,
    make_front_desk_user,
    make_practitioner,
    make_staff_user,
    make_totp_device,
    make_visit,
    make_visit_type,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def next_monday():
    today = timezone.localdate()
    return today + datetime.timedelta(days=(0 - today.weekday()) % 7 + 7)


def test_book_from_a_free_time_see_the_clash_suggestion_and_print_the_day(
    page, practice, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of 409")  # the clash is answered 409 Conflict
    robin = make_practitioner(first_name="Robin", last_name="Lee")
    monday = next_monday()
    taken = make_visit(
        practitioner=robin,
        starts_at=datetime.datetime.combine(
            monday, datetime.time(9, 0), tzinfo=timezone.get_current_timezone()
        ),
    )
    desk = make_front_desk_user()
    sign_in(page, desk, totp_code(make_totp_device(desk)))
    pages = []

    page.goto(f"/admin/appointments/visit/schedule/?date={monday:%Y-%m-%d}&span=week")
    assert_accessible(page)
    pages.append(page.content())
    page.get_by_role(
        "link", name=f"Book 10:00 AM on {monday:%A, %B %-d} with Robin Lee"
    ).click()
    expect(page.get_by_label("Time")).to_have_value("10:00")
    assert_accessible(page)
    page.get_by_label("Patient's name").fill("Maria Rossi")
    page.get_by_label("Patient's name").press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Visit booked for")

    # The same practitioner at 9:15 clashes with the 9:00 visit: the next free times appear.
    page.goto(
        f"/admin/appointments/visit/book/?date={monday:%Y-%m-%d}&time=09:15&practitioner={robin.pk}"
    )
    page.get_by_label("Patient's name").fill("Carla Diaz")
    page.get_by_role("button", name="Book visit and send confirmation").click()
    expect(
        page.get_by_role("heading", name="Next free times with this practitioner")
    ).to_be_visible()
    assert "9:30 AM" in page.locator(".staff-suggestions").inner_text()
    assert_accessible(page)
    pages.append(page.content())

    page.goto(f"/admin/appointments/visit/schedule/?date={monday:%Y-%m-%d}&span=day")
    page.emulate_media(media="print")
    assert page.locator("#header").is_hidden()
    assert page.locator(".staff-calendar").is_visible()
    assert page.get_by_role(
        "link", name=re.compile(r"9:00–9:30 AM Jane D\.")
    ).is_visible()
    page.emulate_media(media="screen")
    assert_accessible(page)
    pages.append(page.content())

    assert sorted(Visit.objects.values_list("patient__name", flat=True)) == [
        "Jane Doe",
        "Maria Rossi",
    ]
    assert taken.pk in Visit.objects.values_list("pk", flat=True)
    assert_valid_html(*pages)


def test_screens_at_phone_width_have_no_sideways_page_scroll(
    page, practice, assert_accessible
):
    make_practitioner()
    make_appointment_request()
    desk = make_front_desk_user()
    sign_in(page, desk, totp_code(make_totp_device(desk)))
    page.set_viewport_size({"width": 375, "height": 740})
    for path in [
        "/admin/",
        "/admin/appointments/visit/schedule/?span=week",
        "/admin/appointments/visit/schedule/?span=day",
    ]:
        page.goto(path)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 376, path


def test_the_owners_set_up_warnings_go_as_the_practice_record_fills(
    page, practice, assert_accessible, settings
):
    owner = make_staff_user(is_superuser=True)
    sign_in(page, owner, totp_code(make_totp_device(owner)))
    setup = page.locator(".frontdesk-setup")
    expect(setup).to_contain_text("No front-desk email address")
    expect(setup).to_contain_text("No practitioner can be booked")
    assert_accessible(page)

    page.goto(f"/admin/clinic/practice/{practice.pk}/change/")
    page.get_by_label(re.compile(r"^Email:?$")).fill("desk@kennis.example")
    page.get_by_role("button", name="Save", exact=True).click()
    make_practitioner()
    make_visit_type()
    page.goto("/admin/")
    expect(setup).not_to_contain_text("No front-desk email address")
    expect(setup).not_to_contain_text("No practitioner can be booked")
    expect(setup).to_contain_text("No opening hours")
    assert_accessible(page)
