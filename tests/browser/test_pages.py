import datetime

import pytest
from django.urls import reverse

from tests.factories import make_closure, make_opening_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    "home",
    "visit",
    "privacy",
    "accessibility",
    "education:article_list",
    "appointments:appointment_request",
    "appointments:contact",
]


@pytest.fixture
def practice_with_hours_and_closure(practice):
    """The fullest version of every practice block: hours, a closure with a note, an email."""
    practice.email = "frontdesk@example.com"
    practice.save()
    make_opening_hours(practice, weekdays=[0], opens="09:00", closes="17:00")
    make_opening_hours(practice, weekdays=[3], opens="13:00", closes="19:00")
    next_year = datetime.date.today().year + 1
    make_closure(
        practice,
        datetime.date(next_year, 1, 1),
        datetime.date(next_year, 1, 2),
        public_note="New Year holiday",
    )
    return practice


def test_home_page_is_styled_accessible_and_valid(
    page, practice, live_server, assert_accessible, assert_valid_html
):
    page.goto("/")
    assert page.locator("h1").all_inner_texts() == ["Dr. Jeffrey I. Kennis, D.C."]
    # Our own stylesheet loaded (served by WhiteNoise under its hashed name).
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "18px"
    assert_accessible(page)
    assert_valid_html(live_server.url + "/")


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_has_no_console_error_and_no_axe_violation(
    page, practice_with_hours_and_closure, assert_accessible, name
):
    page.goto(reverse(name))
    assert page.locator("h1").count() == 1
    assert page.locator("main").count() == 1
    assert_accessible(page)


def test_public_pages_and_error_pages_are_valid_html(
    practice_with_hours_and_closure, live_server, assert_valid_html
):
    assert_valid_html(
        *(live_server.url + reverse(name) for name in PUBLIC_PAGES),
        live_server.url + "/no-such-page/",
    )


def test_404_page_is_accessible(page, practice, browser_errors, assert_accessible):
    browser_errors.allow(r"status of 404")
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert_accessible(page)


def test_outage_page_is_accessible_and_valid(
    page, browser_errors, database_down_server, assert_accessible, assert_valid_html
):
    browser_errors.allow(r"status of 503")
    response = page.goto(database_down_server + "/")
    assert response.status == 503
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "18px"
    assert_accessible(page)
    assert_valid_html(database_down_server + "/")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page, practice):
    page.goto("/visit/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    # The skip link becomes visible when focused, with the focus outline.
    box = page.locator(".skip-link").bounding_box()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    page.keyboard.press("Enter")
    assert (focused, box["x"] >= 0, outline) == ("Skip to main content", True, "solid")
    assert page.evaluate("document.activeElement.id") == "main"


def test_keyboard_alone_reaches_every_link_in_order_with_a_visible_focus(
    page, practice_with_hours_and_closure
):
    page.goto("/")
    # Links hidden at this width (the phone's call bar) are no tab stops.
    visible_links = page.locator("a[href]:visible")
    links = visible_links.count()
    reached = []
    for _ in range(links):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "[document.activeElement.getAttribute('href'),"
                " getComputedStyle(document.activeElement).outlineStyle]"
            )
        )
    expected = visible_links.evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert [href for href, _ in reached] == expected
    assert {outline for _, outline in reached} == {"solid"}


@pytest.mark.parametrize("name", ["home", "visit", "privacy", "accessibility"])
def test_page_reflows_at_320_css_pixels_with_44px_touch_targets(
    browser, live_server, practice_with_hours_and_closure, name
):
    # 320 CSS px wide is a 1280 px window at 400% zoom (WCAG 1.4.10), or a small phone.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 320, "height": 640}
    )
    page = context.new_page()
    page.goto(reverse(name))
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    # Only what is shown at this width (the header's number gives way to the call bar).
    small_targets = page.locator(
        "nav a, .button, .header-phone, .brand, .more, .link-list a"
    ).evaluate_all(
        """els => els.filter(e => e.getClientRects().length)
                     .map(e => [e.textContent.trim(), e.getBoundingClientRect().height])
                     .filter(([, height]) => height < 44)"""
    )
    context.close()
    assert (overflow, small_targets) == (0, [])


def test_text_at_200_percent_zoom_stays_readable_without_overlap(
    browser, live_server, practice
):
    # Chromium's device scale emulates zoom: a 1280 px window at 200% lays out at 640 CSS px.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 640, "height": 400},
        device_scale_factor=2,
    )
    page = context.new_page()
    page.goto("/")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    context.close()
    assert overflow == 0


def test_print_stylesheet_drops_navigation_and_keeps_address_and_phone(page, practice):
    page.goto("/visit/")
    page.emulate_media(media="print")
    nav_display = page.locator(".main-nav").evaluate("e => getComputedStyle(e).display")
    main_text = page.locator("main").inner_text()
    assert nav_display == "none"
    assert "205 Commercial St" in main_text
    assert "(617) 720-2329" in main_text


def test_pages_work_with_javascript_turned_off(browser, live_server, practice):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Directions, hours and closures").click()
    heading = page.locator("h1").inner_text()
    context.close()
    assert heading == "Visit us"
