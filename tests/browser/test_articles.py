"""Articles as a patient on a phone meets them: first screen, calls to action, cross-references."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from education.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
ARTICLE = "/education/neuropathic-pain/"


@pytest.fixture
def seeded(practice):
    call_command("load_seed")
    return Article.objects.get(slug="neuropathic-pain")


def publish(article):
    article.summary = "Written by staff."
    article.body = "<p>Staff wrote this.</p>"
    article.status = Article.Status.PUBLISHED
    article.save()


def test_on_a_phone_the_title_and_first_lines_show_on_the_first_screen(page, seeded):
    page.set_viewport_size(PHONE)
    page.goto(ARTICLE)
    header = page.locator(".site-header").bounding_box()
    title = page.locator("h1").bounding_box()
    first_paragraph = page.locator(".article-body p").first.bounding_box()
    bar = page.get_by_role("navigation", name="Call or request an appointment")
    bar_box = bar.bounding_box()
    assert header["height"] < 150
    assert title["y"] + title["height"] < PHONE["height"] / 2
    # At least three lines of the text above the call bar.
    assert first_paragraph["y"] + 3 * 29 < bar_box["y"]
    assert bar_box["y"] + bar_box["height"] == PHONE["height"]
    assert bar.get_by_role("link").all_inner_texts() == [
        "Call (617) 720-2329",
        "Request an appointment",
    ]


def test_the_article_asks_for_the_appointment_after_its_introduction_and_at_the_end(
    page, seeded
):
    page.set_viewport_size(PHONE)
    page.goto(ARTICLE)
    order = page.locator(
        ".article-introduction, .cta-slim, .toc, .article-cta"
    ).evaluate_all("els => els.map(e => e.className)")
    assert order == [
        "article-body article-introduction",
        "cta-slim",
        "toc",
        "article-cta",
    ]
    page.locator(".cta-slim").get_by_role("link", name="Request an appointment").click()
    page.wait_for_url("**/appointments/request/?article=neuropathic-pain")
    expect(page.locator("h1")).to_have_text("Request an appointment")
    # The form has its own button: no call bar competing with it.
    assert page.locator(".cta-bar").count() == 0


def test_the_call_bar_rests_above_the_footer_and_never_hides_keyboard_focus(
    page, seeded
):
    page.set_viewport_size(PHONE)
    page.goto(ARTICLE)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator(".cta-bar").bounding_box()
    footer = page.locator(".site-footer").bounding_box()
    assert bar["y"] + bar["height"] <= footer["y"] + 1
    # Tabbing to a link low on the page scrolls it clear of the bar.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".toc a").last.focus()
    focused = page.locator(".toc a").last.bounding_box()
    bar = page.locator(".cta-bar").bounding_box()
    assert focused["y"] + focused["height"] <= bar["y"]


def test_on_a_desktop_there_is_no_call_bar_and_the_contents_are_one_per_line(
    page, seeded
):
    page.set_viewport_size(DESKTOP)
    page.goto(ARTICLE)
    expect(page.locator(".cta-bar")).to_be_hidden()
    expect(page.locator(".header-phone")).to_contain_text("(617) 720-2329")
    boxes = [item.bounding_box() for item in page.locator(".toc li.toc-level-2").all()]
    assert len({box["x"] for box in boxes}) == 1
    assert [box["y"] for box in boxes] == sorted({box["y"] for box in boxes})


def test_no_dead_see_line_until_the_target_is_published(page, seeded):
    page.goto(ARTICLE)
    text = page.locator("main").inner_text()
    assert "See Types of Back Pain" not in text
    assert "Learn more" not in text
    publish(Article.objects.get(slug="types-of-back-pain"))
    page.reload()
    see = page.locator(".article-body p", has_text="See Types of Back Pain")
    expect(see).to_have_count(1)
    see.get_by_role("link", name="Types of Back Pain").click()
    page.wait_for_url("**/education/types-of-back-pain/")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_article_pages_are_accessible_and_valid_at_phone_and_desktop_widths(
    page, seeded, live_server, assert_accessible, assert_valid_html, viewport
):
    publish(Article.objects.get(slug="types-of-back-pain"))
    page.set_viewport_size(viewport)
    paths = [ARTICLE, "/education/types-of-back-pain/", "/education/", "/"]
    for path in paths:
        page.goto(path)
        assert_accessible(page)
    if viewport is PHONE:
        assert_valid_html(*(live_server.url + path for path in paths))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_patient_who_misspells_or_uses_another_word_still_finds_the_article(
    page, seeded, live_server, assert_accessible, assert_valid_html, viewport
):
    page.set_viewport_size(viewport)
    page.goto("/education/")
    page.get_by_label("Search articles").fill("nueropathy")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/education/search/?q=nueropathy")
    expect(page.get_by_role("status")).to_contain_text("Did you mean neuropathy?")
    assert page.locator(".search-results h2 a").all_inner_texts() == [
        "Neuropathic pain"
    ]
    assert_accessible(page)
    page.get_by_role("link", name="neuropathy", exact=True).click()
    page.wait_for_url("**/education/search/?q=neuropathy")
    expect(page.get_by_role("status")).to_have_text("1 article found for “neuropathy”.")

    page.get_by_label("Search articles").fill("sciatica")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/education/search/?q=sciatica")
    assert page.locator(".search-results h2 a").all_inner_texts() == [
        "Neuropathic pain"
    ]
    assert_accessible(page)
    if viewport is PHONE:
        assert_valid_html(
            live_server.url + "/education/search/?q=nueropathy",
            live_server.url + "/education/search/?q=sciatica",
            live_server.url + "/education/search/?q=zzzzqqq",
        )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_reader_says_the_page_did_not_help_and_what_was_missing(
    page, seeded, live_server, assert_accessible, assert_valid_html, viewport
):
    from education.models import ArticleFeedback

    page.set_viewport_size(viewport)
    page.goto(ARTICLE)
    feedback = page.get_by_role("region", name="Is this page useful?")
    assert_accessible(page)
    feedback.get_by_role("button", name="No, this page is not useful").click()
    page.wait_for_url("**/education/feedback/*/")
    expect(page.locator("h1")).to_have_text("Thank you for your feedback")
    assert_accessible(page)
    thanks_url = page.url
    box = page.get_by_label("What was missing or unclear? (optional)")
    expect(box).to_have_accessible_description(
        re.compile("Please do not include your name, phone number, email")
    )
    box.fill("How long does nerve pain last?")
    page.get_by_role("button", name="Send note").click()
    expect(page.get_by_role("status")).to_have_text(
        "We have your note. We read every one when we update our articles."
    )
    assert list(ArticleFeedback.objects.values_list("is_useful", "comment")) == [
        (False, "How long does nerve pain last?")
    ]
    page.get_by_role("link", name="Back to “Neuropathic pain”").click()
    page.wait_for_url(f"**{ARTICLE}")
    if viewport is PHONE:
        # The thanks page before a note, as a new reader's click leads to it.
        answer = ArticleFeedback.objects.create(
            article=seeded, is_useful=True, comment=""
        )
        assert_valid_html(
            thanks_url,
            live_server.url + f"/education/feedback/{answer.public_id}/",
        )


def test_feedback_works_without_javascript(browser, live_server, seeded):
    from education.models import ArticleFeedback

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(ARTICLE)
    page.get_by_role("button", name="Yes, this page is useful").click()
    page.wait_for_url("**/education/feedback/*/")
    heading = page.locator("h1").inner_text()
    context.close()
    assert heading == "Thank you for your feedback"
    assert list(ArticleFeedback.objects.values_list("is_useful", flat=True)) == [True]


# Every page built on base.html got the compact header and the call bar.
EVERY_PUBLIC_PAGE = [
    "/",
    "/visit/",
    "/about/",
    "/privacy/",
    "/accessibility/",
    "/language-assistance/",
    "/nondiscrimination/",
    "/education/",
    "/education/symptoms/",
    "/education/topics/nerve-pain/",
    "/appointments/request/",
    "/contact/",
]


def test_every_public_page_is_accessible_at_phone_width(
    page, seeded, assert_accessible
):
    page.set_viewport_size(PHONE)
    for path in EVERY_PUBLIC_PAGE:
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, path
        assert_accessible(page)


def test_feedback_problem_pages_are_valid_and_accessible(
    page, seeded, browser_errors, assert_accessible, assert_valid_html
):
    browser_errors.allow(r"status of 400")
    from django.test import Client

    problems = [
        Client().post("/education/feedback/", {"token": "forged", "useful": "yes"}),
        Client().post(
            "/education/feedback/",
            {"useful": "yes"},
            headers={"Origin": "https://evil.example"},
        ),
    ]
    assert [response.status_code for response in problems] == [400, 403]
    assert_valid_html(*(response.content.decode() for response in problems))
    page.set_viewport_size(PHONE)
    page.goto(ARTICLE)
    page.evaluate(
        "document.querySelector('.feedback input[name=token]').value = 'forged'"
    )
    page.get_by_role("button", name="Yes, this page is useful").click()
    expect(page.locator("h1")).to_have_text("We could not record your answer")
    assert_accessible(page)
