"""The request and contact forms in Chromium: keyboard only, errors, JavaScript off, a11y, HTML."""

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest, ContactMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def instant_forms(settings):
    # The live server runs in this process: the fill-time check would otherwise need sleeps.
    settings.REQUEST_MIN_FILL_SECONDS = 0
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"


def tab_to(page, selector, presses=80):
    """Press Tab until the element matching `selector` has focus: it is reachable by keyboard."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(selector) => document.activeElement.matches(selector)", selector
        ):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_whole_request_by_keyboard_alone(
    page, practice, assert_accessible, assert_valid_html, live_server
):
    page.goto("/appointments/request/")
    assert_accessible(page)
    assert_valid_html(live_server.url + "/appointments/request/")

    tab_to(page, "#id_patient_type_0")
    page.keyboard.press("ArrowDown")  # moves to and selects "Returning patient"
    tab_to(page, "#id_reason_0")
    page.keyboard.press("Space")
    tab_to(page, "#id_note")
    page.keyboard.type("Tingling in both feet, worse at night.")
    tab_to(page, "#id_preferred_weekdays_1")
    page.keyboard.press("Space")
    tab_to(page, "#id_preferred_times_of_day_0")
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
    page.wait_for_url("**/appointments/request/received/")

    appointment_request = AppointmentRequest.objects.get()
    assert (
        appointment_request.patient_type,
        appointment_request.reason,
        appointment_request.note,
        appointment_request.preferred_weekdays,
        appointment_request.preferred_times_of_day,
        appointment_request.phone.as_e164,
    ) == (
        "returning",
        "neuropathy",
        "Tingling in both feet, worse at night.",
        [1],
        ["morning"],
        "+16175550123",
    )
    assert page.locator(".reference").inner_text() == appointment_request.reference
    assert page.locator("h1").inner_text() == "Thank you: we have your request"
    assert_accessible(page)
    assert_valid_html(page.content())


def test_error_state_focuses_the_summary_and_keeps_what_was_typed(
    page, practice, assert_accessible, assert_valid_html, browser_errors
):
    # A form with mistakes is answered 400 (bad input), which Chromium logs.
    browser_errors.allow(r"status of 400")
    page.goto("/appointments/request/")
    page.fill("#id_name", "Jane Doe")
    page.fill("#id_phone", "12")
    page.fill("#id_note", "Sharp pain <b>here</b>")
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")

    # Chromium applies autofocus just after the page renders: wait for it, then check.
    # (expect polls from Playwright's side: wait_for_function would need eval, which our CSP blocks)
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("Error: ")
    links = page.locator(".error-summary a")
    targets = [
        href.lstrip("#")
        for href in links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
    ]
    assert targets == [
        "id_patient_type_0",
        "id_reason_0",
        "id_phone",
        "id_preferred_contact_method_0",
        "id_has_acknowledged_privacy_notice",
        "id_has_consented_to_contact",
    ]
    assert all(page.locator(f"#{target}").count() == 1 for target in targets)
    assert page.input_value("#id_name") == "Jane Doe"
    assert page.input_value("#id_phone") == "12"
    assert page.input_value("#id_note") == "Sharp pain <b>here</b>"
    assert page.get_attribute("#id_phone", "aria-invalid") == "true"
    assert AppointmentRequest.objects.count() == 0
    assert_accessible(page)
    assert_valid_html(page.content())


def test_request_and_contact_work_with_javascript_disabled(
    browser, live_server, practice, assert_accessible
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/appointments/request/")
        page.check("#id_patient_type_0")
        page.check("#id_reason_2")
        page.fill("#id_preferred_date_1", "2030-01-08")
        page.fill("#id_name", "Sam Smith")
        page.fill("#id_phone", "617-555-0199")
        page.check("#id_preferred_contact_method_1")
        page.check("#id_has_acknowledged_privacy_notice")
        page.check("#id_has_consented_to_contact")
        page.click("button[type=submit]")
        page.wait_for_url("**/appointments/request/received/")
        stored = AppointmentRequest.objects.get()
        assert page.locator(".reference").inner_text() == stored.reference
        assert (stored.reason, [str(d) for d in stored.preferred_dates]) == (
            "neck_pain",
            ["2030-01-08"],
        )

        page.goto("/contact/")
        page.click("button[type=submit]")
        assert page.locator(".error-summary li").all_inner_texts() == [
            "Enter your name.",
            "Give us a phone number or an email address so that we can reply.",
            "Enter your message.",
        ]
        page.fill("#id_name", "Sam Smith")
        page.fill("#id_email", "sam@example.com")
        page.fill("#id_message", "Is there parking nearby?")
        page.click("button[type=submit]")
        page.wait_for_url("**/contact/received/")
        assert page.locator(".reference").inner_text() == (
            ContactMessage.objects.get().reference
        )
    finally:
        context.close()


def test_contact_form_states_are_accessible_and_valid(
    page, practice, live_server, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of 400")
    page.goto("/contact/")
    assert_accessible(page)
    empty = page.content()
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert_accessible(page)
    error = page.content()
    page.fill("#id_name", "Sam Smith")
    page.fill("#id_phone", "617-555-0199")
    page.fill("#id_message", "Hello")
    page.click("button[type=submit]")
    page.wait_for_url("**/contact/received/")
    assert_accessible(page)
    assert_valid_html(empty, error, page.content())
