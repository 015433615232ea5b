"""The Section 1557 notices in a real browser: valid, accessible, right to left, printable."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.models import Tagline
from clinic.seed import TAGLINES
from tests.factories import STAFF_PASSWORD, make_staff_user, make_totp_device, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTICE_PAGES = ["language_assistance", "nondiscrimination"]
PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def practice_with_notices(practice, taglines):
    """Every optional block of the notices filled in: coordinator, languages, email."""
    practice.email = "frontdesk@example.com"
    practice.languages_spoken = "English and Italian"
    practice.section_1557_coordinator = "Maria Rossi, Office Manager"
    practice.section_1557_coordinator_phone = "+16175550100"
    practice.section_1557_coordinator_email = "civilrights@example.com"
    practice.save()
    return practice


def test_notice_pages_with_every_tagline_are_valid_html(
    practice_with_notices, live_server, assert_valid_html
):
    # The checker validates every lang and dir against the IANA subtag registry.
    assert_valid_html(
        *(live_server.url + reverse(name) for name in NOTICE_PAGES),
        live_server.url + "/",
        live_server.url + "/visit/",
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", [*NOTICE_PAGES, "home"])
def test_notice_pages_and_home_block_have_no_axe_violation(
    browser, live_server, practice_with_notices, assert_accessible, name, viewport
):
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.goto(reverse(name))
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    try:
        assert_accessible(page)
    finally:
        context.close()
    assert overflow == 0


def test_arabic_tagline_reads_right_to_left_with_the_phone_number_left_to_right(
    page, practice, taglines
):
    page.goto("/language-assistance/")
    arabic = page.locator('p.tagline[lang="ar"]')
    phone = arabic.get_by_role("link", name="(617) 720-2329")
    paragraph_direction = arabic.evaluate("e => getComputedStyle(e).direction")
    phone_style = phone.evaluate(
        "e => [getComputedStyle(e).direction, getComputedStyle(e).unicodeBidi]"
    )
    # Right to left: the language's name starts at the right edge, the rule beside it there.
    layout = arabic.evaluate(
        """p => {
            const name = p.querySelector('.tagline-language');
            const range = document.createRange();
            range.selectNodeContents(name);
            return {
                gap: name.getBoundingClientRect().right - range.getBoundingClientRect().right,
                rule: [getComputedStyle(p).borderLeftWidth, getComputedStyle(p).borderRightWidth],
            };
        }"""
    )
    assert paragraph_direction == "rtl"
    assert phone_style == ["ltr", "isolate"]
    assert (abs(layout["gap"]) < 1, layout["rule"]) == (True, ["0px", "4px"])


def test_every_tagline_is_announced_in_its_own_language(page, practice, taglines):
    page.goto("/language-assistance/")
    languages = page.locator("p.tagline").evaluate_all(
        "paragraphs => paragraphs.map(p => p.lang)"
    )
    assert languages == [tag for tag, *_ in TAGLINES]


@pytest.mark.parametrize("name", NOTICE_PAGES)
def test_printed_notice_is_large_with_the_site_chrome_hidden(
    page, practice_with_notices, name
):
    page.goto(reverse(name))
    screen_size = page.locator(".notice-lead").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    page.emulate_media(media="print")
    hidden = [
        page.locator(selector).evaluate("e => getComputedStyle(e).display")
        for selector in (".site-header", ".site-footer", ".skip-link")
    ]
    sizes = page.locator(".printable-notice").evaluate(
        """notice => ({
            heading: parseFloat(getComputedStyle(notice.querySelector('h1')).fontSize),
            lead: parseFloat(getComputedStyle(notice.querySelector('.notice-lead')).fontSize),
            smallest: Math.min(...[...notice.querySelectorAll('p, li')].map(
                e => parseFloat(getComputedStyle(e).fontSize))),
        })"""
    )
    printed_text = page.locator("main").inner_text()
    assert hidden == ["none", "none", "none"]
    # 1pt = 4/3 px: the heading prints at 30pt, the lead at 19pt, no paragraph below 16pt.
    assert (sizes["heading"], sizes["lead"]) == (40, pytest.approx(25.33, abs=0.01))
    assert sizes["smallest"] >= 21.3
    assert sizes["lead"] > screen_size
    assert "(617) 720-2329" in printed_text
    assert "Dr. Jeffrey I. Kennis, D.C." in printed_text


def test_printed_language_notice_shows_every_tagline(page, practice, taglines):
    page.goto("/language-assistance/")
    page.emulate_media(media="print")
    taglines_shown = page.locator("p.tagline:visible").count()
    smallest = page.locator("p.tagline").evaluate_all(
        "ps => Math.min(...ps.map(p => parseFloat(getComputedStyle(p).fontSize)))"
    )
    assert (taglines_shown, smallest) == (len(TAGLINES), pytest.approx(22.67, abs=0.01))


def test_footer_links_to_both_notices_reach_them_by_keyboard(page, practice, taglines):
    page.goto("/privacy/")
    link = page.locator(".site-footer a.language-help")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Free language assistance")
    page.get_by_role("link", name="Nondiscrimination notice").click()
    expect(page.locator("h1")).to_have_text("Notice of nondiscrimination")


def test_owner_sees_unreviewed_taglines_on_the_dashboard_and_records_a_review(
    page, practice, taglines, assert_accessible
):
    owner = make_staff_user(is_superuser=True)
    device = make_totp_device(owner)
    page.goto("/admin/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("6-digit code from your authenticator app").fill(
        totp_code(device)
    )
    page.get_by_role("button", name="Sign in").click()

    dashboard = page.locator(".language-notices-dashboard")
    expect(dashboard).to_contain_text(
        "13 taglines not yet reviewed by a qualified translator"
    )
    assert_accessible(page)
    dashboard.get_by_role("link", name="Arabic", exact=True).click()
    expect(page.locator("h1")).to_have_text("Change language assistance tagline")
    # Arabic is typed and shown right to left in the admin too.
    assert page.get_by_role("textbox", name="Text:").evaluate(
        "e => getComputedStyle(e).direction"
    ) == ("rtl")
    assert_accessible(page)
    page.get_by_label("Reviewed by").fill("Samira Haddad, certified translator")
    page.get_by_label("Reviewed on").fill("2026-03-02")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_have_text(
        "Select language assistance tagline to change"
    )
    assert_accessible(page)

    page.goto("/admin/")
    expect(dashboard).to_contain_text(
        "12 taglines not yet reviewed by a qualified translator"
    )
    assert dashboard.get_by_role("link", name="Arabic", exact=True).count() == 0
    arabic = Tagline.objects.get(language_code="ar")
    assert (arabic.reviewed_by, arabic.reviewed_on) == (
        "Samira Haddad, certified translator",
        datetime.date(2026, 3, 2),
    )
    assert re.search(r"/admin/$", page.url)


def test_admin_pages_for_taglines_and_the_dashboard_are_valid_html(
    admin_client, practice, taglines, assert_valid_html
):
    arabic = Tagline.objects.get(language_code="ar")
    assert_valid_html(
        *(
            admin_client.get(url).content.decode()
            for url in (
                reverse("admin:index"),
                reverse("admin:clinic_tagline_changelist"),
                reverse("admin:clinic_tagline_change", args=[arabic.pk]),
                reverse("admin:clinic_tagline_add"),
                reverse("admin:clinic_practice_change", args=[practice.pk]),
            )
        )
    )
