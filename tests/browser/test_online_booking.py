"""Online booking in Chromium: the whole flow by keyboard with JavaScript off, a time taken
meanwhile, the staff's Confirm on the dashboard; axe-core, the Nu HTML Checker, phone width."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Visit, VisitChange, VisitStatus
from appointments.services import open_times as engine
from appointments.services.history import record_visit_change
from clinic.models import OnlineBooking
from tests.browser.admin_pages import overflow_at_phone_width, sign_in, tab_to
from tests.factories import (
    make_appointment_request,
    make_front_desk_user,
    make_opening_hours,
    make_patient,
    make_practitioner,
    make_totp_device,
    make_visit,
    make_visit_type,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bookable(practice, settings):
    settings.REQUEST_MIN_FILL_SECONDS = 0
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    practice.online_booking = OnlineBooking.HOLD
    practice.hold_hours = 24
    practice.online_booking_horizon_days = 60
    practice.save()
    make_opening_hours(practice, opens="09:00", closes="12:00")
    doctor = make_practitioner(first_name="Jeffrey", last_name="Kennis")
    exam = make_visit_type(
        name="New patient exam", duration_minutes=45, is_bookable_online=True
    )
    return doctor, exam


def test_the_whole_booking_by_keyboard_with_javascript_off(
    browser, live_server, bookable, page, assert_accessible, assert_valid_html
):
    """JavaScript off, keyboard only; axe-core (which needs JavaScript) then checks each page
    in a second, ordinary browser tab."""
    doctor, exam = bookable
    checked_page = page
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    pages = []

    def check(url):
        checked_page.goto(url)
        assert_accessible(checked_page)

    try:
        page.goto("/")
        tab_to(page, 'a[href="/appointments/book/"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/appointments/book/")
        check(page.url)
        pages.append(page.content())

        tab_to(page, "#id_patient_type_0")
        page.keyboard.press("Space")
        tab_to(page, "#id_visit_type_0")
        page.keyboard.press("Space")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/appointments/book/times/**")
        expect(page.locator("fieldset.times legend").first).to_be_visible()
        assert page.locator("fieldset.times").count() == 5
        days = page.locator("fieldset.times legend").all_inner_texts()
        check(page.url)
        pages.append(page.content())
        assert overflow_at_phone_width(page) == 0

        # "Later dates" is a plain link with the query string (and days from a week ahead,
        # so that no time chosen can pass while the test runs).
        tab_to(page, "nav.pages a[href*='from=']")
        page.keyboard.press("Enter")
        page.wait_for_url("**from=**")
        check(page.url)
        pages.append(page.content())
        first_day = page.locator("fieldset.times legend").first.inner_text()
        assert first_day != days[0]

        tab_to(page, "input[name=time]")
        page.keyboard.press("Space")  # the first time
        page.keyboard.press("ArrowDown")  # moves to and selects the second
        chosen = page.locator("input[name=time]:checked").get_attribute("value")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/appointments/book/details/**")
        check(page.url)
        pages.append(page.content())
        assert overflow_at_phone_width(page) == 0

        tab_to(page, "#id_reason_0")
        page.keyboard.press("Space")
        tab_to(page, "#id_name")
        page.keyboard.type("Jane Doe")
        page.keyboard.press("Tab")
        page.keyboard.type("617 555 0123")
        page.keyboard.press("Tab")
        page.keyboard.type("jane@example.com")
        tab_to(page, "#id_preferred_contact_method_0")
        page.keyboard.press("Space")
        tab_to(page, "#id_has_acknowledged_privacy_notice")
        page.keyboard.press("Space")
        tab_to(page, "#id_has_consented_to_contact")
        page.keyboard.press("Space")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/appointments/book/held/")
        assert page.locator("h1").inner_text() == "Thank you: we have your time"
        pages.append(page.content())
    finally:
        context.close()

    visit = Visit.objects.get()
    times = engine.open_times(visit_type=exam)
    assert (visit.status, visit.patient.name, visit.practitioner) == (
        VisitStatus.HELD,
        "Jane Doe",
        doctor,
    )
    assert engine.parse_key(chosen) == (doctor.pk, visit.starts_at)
    assert chosen not in [t.key for t in times]
    assert_valid_html(*pages)


def test_a_time_taken_meanwhile_offers_the_nearest_keeping_what_was_typed(
    page, bookable, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of 409")
    doctor, exam = bookable
    [time] = engine.open_times(
        visit_type=exam, first_day=timezone.localdate() + datetime.timedelta(days=7)
    )[:1]
    page.goto(
        f"/appointments/book/details/?patient_type=new&visit_type={exam.pk}"
        f"&time={time.key}"
    )
    page.get_by_label("Neuropathy or nerve pain").check()
    page.get_by_label("Your name").fill("Jane Doe")
    page.get_by_label("Phone number").fill("617 555 0123")
    page.get_by_label("Phone call").check()
    page.get_by_label("I have read the").check()
    page.get_by_label("You may contact me").check()
    make_visit(  # someone else was quicker
        patient=make_patient(name="Other Person"),
        practitioner=doctor,
        starts_at=time.starts_at,
        status=VisitStatus.HELD,
    )
    page.get_by_role("button", name="Hold this time for me").click()

    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("that time was just taken")
    expect(page.get_by_label("Your name")).to_have_value("Jane Doe")
    assert page.locator("input[name=time]").count() == 6
    assert page.locator("input[name=time]:checked").count() == 0
    assert_accessible(page)
    assert_valid_html(page.content())

    page.locator("input[name=time]").first.check()
    page.get_by_role("button", name="Hold this time for me").click()
    page.wait_for_url("**/appointments/book/held/")
    assert_accessible(page)
    assert Visit.objects.filter(patient__name="Jane Doe").count() == 1


def hold_next_week(doctor, exam):
    """A time picked online a week from now, held for 20 more hours, as the booking leaves it."""
    request = make_appointment_request(
        name="Jane Doe", email="jane@example.com", status="scheduled"
    )
    [time] = engine.open_times(
        visit_type=exam, first_day=timezone.localdate() + datetime.timedelta(days=7)
    )[:1]
    held = make_visit(
        appointment_request=request,
        patient=request.patient,
        practitioner=doctor,
        visit_type=exam,
        starts_at=time.starts_at,
        status=VisitStatus.HELD,
        source="online",
        hold_expires_at=timezone.now() + datetime.timedelta(hours=20),
    )
    record_visit_change(held, VisitChange.Action.HELD, by=None)
    return held


def test_staff_confirm_a_held_time_from_the_dashboard_by_keyboard(
    page, bookable, assert_accessible, assert_valid_html, mailoutbox
):
    held = hold_next_week(*bookable)
    desk = make_front_desk_user()
    sign_in(page, desk, totp_code(make_totp_device(desk)))
    pages = []

    page.goto("/admin/")
    expect(page.locator(".frontdesk-held")).to_contain_text(
        "1 time picked online to confirm"
    )
    assert_accessible(page)
    pages.append(page.content())
    assert overflow_at_phone_width(page) == 0
    page.goto(held.get_admin_url())
    assert_accessible(page)
    pages.append(page.content())
    day = timezone.localtime(held.starts_at).date()
    page.goto(f"/admin/appointments/visit/schedule/?date={day:%Y-%m-%d}")
    expect(page.locator(".cal-status-held")).to_contain_text("[Held, to confirm]")
    assert_accessible(page)
    pages.append(page.content())

    page.goto("/admin/")
    tab_to(page, ".frontdesk-held button[value=confirm]")
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("Confirmed:")
    held.refresh_from_db()
    assert held.status == VisitStatus.BOOKED
    assert_valid_html(*pages)


def test_a_patient_lets_a_held_time_go_by_keyboard_at_phone_width(
    page, bookable, assert_accessible, assert_valid_html
):
    held = hold_next_week(*bookable)
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(reverse("appointments:visit_cancel", args=[held.cancel_token]))
    expect(page.locator("h1")).to_have_text("The time we are holding for you")
    assert_accessible(page)
    assert overflow_at_phone_width(page) == 0
    pages = [page.content()]

    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("You have let this time go")
    assert_accessible(page)
    pages.append(page.content())
    held.refresh_from_db()
    assert held.status == VisitStatus.CANCELLED
    assert_valid_html(*pages)


@pytest.mark.parametrize("width", [375, 1280])
def test_each_times_radio_button_sits_beside_its_time_not_over_it(
    page, bookable, width
):
    """The request form's label rule once won over the times' own: the radio circle was drawn
    over the first digits ("1◯00 AM")."""
    doctor, exam = bookable
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/appointments/book/times/?patient_type=new&visit_type={exam.pk}")
    radios = page.locator(".time-list input[type=radio]")
    expect(radios.first).to_be_visible()
    for index in range(min(radios.count(), 6)):
        radio = radios.nth(index)
        text_starts = radio.evaluate(
            """input => {
                const label = input.labels[0];
                const range = document.createRange();
                range.selectNodeContents(label);
                return range.getBoundingClientRect().left;
            }"""
        )
        assert radio.bounding_box()["x"] + radio.bounding_box()["width"] <= text_starts
