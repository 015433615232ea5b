"""The visit's link pages in Chromium: manage, choose another time, the cancellation list and
an earlier time offered; by keyboard alone, with JavaScript off, at phone width, axe-core and
the Nu HTML Checker on every state."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from appointments.models import Visit, WaitlistEntry, WaitlistOffer
from tests.browser.admin_pages import tab_to
from tests.browser.test_frontdesk import sign_in
from tests.factories import make_front_desk_user, make_totp_device, totp_code
from tests.support.online_visits import (
    a_monday,
    at,
    book,
    make_doctor,
    make_follow_up,
    open_for_online_booking,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}
MONDAY = a_monday()
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
FRIDAY = MONDAY + datetime.timedelta(days=4)


@pytest.fixture
def clinic(practice, settings):
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    open_for_online_booking(practice)
    doctor = make_doctor()
    follow_up = make_follow_up()
    visit = book(
        at(FRIDAY, 15),
        practitioner=doctor,
        visit_type=follow_up,
        name="Jane Doe",
        email="jane@example.com",
    )
    return {"doctor": doctor, "follow_up": follow_up, "visit": visit}


def key(practitioner, starts_at):
    return f"{practitioner.pk}@{starts_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}"


def urls(visit):
    token = visit.cancel_token
    return {
        "manage": reverse("appointments:visit_cancel", args=[token]),
        "move": reverse("appointments:visit_move", args=[token]),
        "waitlist": reverse("appointments:visit_waitlist", args=[token]),
    }


def fits_a_phone(page):
    """No sideways scrolling, and every button, radio label and link in main is 44 px tall."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    for target in page.locator(
        "main .button, main button, main fieldset.day label"
    ).all():
        assert target.bounding_box()["height"] >= 44, target.inner_text()


def test_moving_the_visit_by_keyboard_at_phone_width(
    page, clinic, live_server, assert_accessible, assert_valid_html
):
    visit, doctor = clinic["visit"], clinic["doctor"]
    links = urls(visit)
    page.set_viewport_size(PHONE)
    page.goto(links["manage"])
    expect(page.locator("h1")).to_have_text("Change or cancel your visit")
    assert_accessible(page)
    fits_a_phone(page)

    tab_to(page, f'a[href="{links["move"]}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{links['move']}")
    expect(page.locator("h1")).to_have_text("Choose another time")
    assert_accessible(page)
    fits_a_phone(page)
    page.get_by_role("link", name="Later dates").focus()
    page.goto(f"{links['move']}?from={MONDAY.isoformat()}")
    assert_accessible(page)

    # The times are one radio group: Tab reaches it, the arrow keys choose.
    tab_to(page, "#id_time")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    expect(
        page.locator(f'input[value="{key(doctor, at(MONDAY, 9, 30))}"]')
    ).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**{links['manage']}")
    expect(page.get_by_role("status")).to_contain_text("Your visit has moved to Monday")
    assert Visit.objects.get(pk=visit.pk).starts_at == at(MONDAY, 9, 30)
    assert_accessible(page)
    assert_valid_html(
        page.content(),
        live_server.url + links["move"],
        live_server.url + f"{links['move']}?from=not-a-date",
    )


def test_a_taken_time_and_the_refusals_are_accessible_and_valid(
    page, clinic, live_server, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of (400|403|409|410)")
    visit, doctor, follow_up = clinic["visit"], clinic["doctor"], clinic["follow_up"]
    links = urls(visit)
    page.goto(f"{links['move']}?from={MONDAY.isoformat()}")
    page.check(f'input[value="{key(doctor, at(MONDAY, 10))}"]')
    book(at(MONDAY, 10), practitioner=doctor, visit_type=follow_up, name="Sam Smith")
    page.get_by_role("button", name="Move my visit to this time").click()

    expect(page.locator("h1")).to_have_text("That time was just taken")
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)
    taken = page.content()
    page.get_by_role("button", name="Move my visit to this time").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose one of the times")
    assert_accessible(page)
    unchosen = page.content()

    page.goto(reverse("appointments:visit_move", args=["not-a-token"]))
    expect(page.locator("h1")).to_have_text("This link does not work")
    assert_accessible(page)
    assert_valid_html(taken, unchosen, page.content())


def test_joining_the_list_by_keyboard_with_errors_first(
    page, clinic, live_server, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of 400")
    visit = clinic["visit"]
    links = urls(visit)
    page.set_viewport_size(PHONE)
    page.goto(links["manage"])
    tab_to(page, f'a[href="{links["waitlist"]}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{links['waitlist']}")
    assert_accessible(page)
    fits_a_phone(page)
    first = page.content()

    page.fill("#id_earliest_day", WEDNESDAY.isoformat())
    page.fill("#id_latest_day", MONDAY.isoformat())
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text(
        "The last day comes before the first"
    )
    assert_accessible(page)
    with_errors = page.content()
    page.fill("#id_earliest_day", MONDAY.isoformat())
    page.fill("#id_latest_day", WEDNESDAY.isoformat())
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**{links['manage']}")
    expect(page.get_by_role("status")).to_contain_text(
        "You are on the cancellation list"
    )
    assert list(WaitlistEntry.objects.values_list("earliest_day", "latest_day")) == [
        (MONDAY, WEDNESDAY)
    ]
    assert_accessible(page)
    page.goto(links["waitlist"])
    expect(
        page.get_by_role("button", name="Leave the cancellation list")
    ).to_be_visible()
    assert_accessible(page)
    assert_valid_html(first, with_errors, page.content())


def test_everything_works_with_javascript_off(browser, live_server, clinic):
    visit, doctor = clinic["visit"], clinic["doctor"]
    links = urls(visit)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(links["manage"])
        page.get_by_role("link", name="Join the cancellation list").click()
        page.fill("#id_earliest_day", MONDAY.isoformat())
        page.fill("#id_latest_day", FRIDAY.isoformat())
        page.get_by_role("button", name="Put me on the list").click()
        expect(page.get_by_role("status")).to_contain_text(
            "You are on the cancellation list"
        )

        page.get_by_role("link", name="Choose another time").click()
        page.get_by_role("link", name="Later dates").click()
        page.goto(f"{links['move']}?from={MONDAY.isoformat()}")
        page.check(f'input[value="{key(doctor, at(MONDAY, 11))}"]')
        page.get_by_role("button", name="Move my visit to this time").click()
        expect(page.get_by_role("status")).to_contain_text("Your visit has moved")
        assert Visit.objects.get(pk=visit.pk).starts_at == at(MONDAY, 11)

        # An earlier time offered from the list, taken with the button.
        entry = WaitlistEntry.objects.get(visit=visit)
        offer = WaitlistOffer.objects.create(
            entry=entry, practitioner=doctor, starts_at=at(MONDAY, 9)
        )
        page.goto(reverse("appointments:waitlist_offer", args=[offer.token]))
        page.get_by_role("button", name="Move my visit to the earlier time").click()
        expect(page.locator("h1")).to_have_text(
            "Your visit has moved to the earlier time"
        )
        assert Visit.objects.get(pk=visit.pk).starts_at == at(MONDAY, 9)

        page.goto(links["manage"])
        page.get_by_role("button", name="Cancel my visit").click()
        expect(page.locator("h1")).to_have_text("Your visit is cancelled")
    finally:
        context.close()


def test_the_offer_pages_are_accessible_and_valid(
    page, clinic, live_server, assert_accessible, assert_valid_html, browser_errors
):
    browser_errors.allow(r"status of (400|409|410)")
    visit, doctor = clinic["visit"], clinic["doctor"]
    entry = WaitlistEntry.objects.create(
        visit=visit, earliest_day=MONDAY, latest_day=FRIDAY
    )
    open_offer = WaitlistOffer.objects.create(
        entry=entry, practitioner=doctor, starts_at=at(MONDAY, 9)
    )
    gone = WaitlistOffer.objects.create(
        entry=entry, practitioner=doctor, starts_at=at(MONDAY, 10), status="gone"
    )
    pages = []
    for offer, heading in [
        (open_offer, "An earlier time is free"),
        (gone, "Sorry, that time has gone"),
    ]:
        page.set_viewport_size(PHONE)
        page.goto(reverse("appointments:waitlist_offer", args=[offer.token]))
        expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
        fits_a_phone(page)
        pages.append(page.content())
    page.goto(reverse("appointments:waitlist_offer", args=["forged"]))
    assert_accessible(page)
    assert_valid_html(*pages, page.content())


def test_the_front_desk_sees_the_list_on_the_dashboard_and_takes_someone_off(
    page, clinic, live_server, assert_accessible, assert_valid_html
):
    visit = clinic["visit"]
    WaitlistEntry.objects.create(visit=visit, earliest_day=MONDAY, latest_day=WEDNESDAY)
    desk = make_front_desk_user()
    sign_in(page, desk, totp_code(make_totp_device(desk)))
    page.set_viewport_size(PHONE)

    page.goto("/admin/")
    waiting = page.get_by_role("table", name="1 patient waiting for an earlier time")
    expect(waiting).to_contain_text("Jane D.")
    assert_accessible(page)
    dashboard = page.content()
    waiting.get_by_role("link", name="Jane D.").click()
    expect(page.locator("#content")).to_contain_text("Earlier times offered by email")
    expect(page.locator("#content")).to_contain_text("None yet.")
    assert_accessible(page)
    entry_page = page.content()

    page.goto(reverse("admin:appointments_waitlistentry_changelist"))
    page.get_by_role("checkbox", name="Select this object for an action").check()
    page.locator("select[name=action]").select_option(
        label="Take off the cancellation list"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "1 patient taken off the cancellation list"
    )
    assert_accessible(page)
    assert WaitlistEntry.objects.get().status == "withdrawn"
    assert_valid_html(dashboard, entry_page, page.content())
