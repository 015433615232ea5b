import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from education.models import Article, RelatedArticle
from tests.factories import login_verified, make_staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(practice):
    call_command("load_seed")
    # Staff have written and published one of the seeded drafts, and listed it under "See also".
    article = Article.objects.get(slug="neuropathic-pain")
    other = Article.objects.get(slug="types-of-back-pain")
    other.summary = "Back pain can be acute, chronic or neuropathic."
    other.body = "<h2>Acute pain</h2><p>Acute pain comes on suddenly.</p>"
    other.status = Article.Status.PUBLISHED
    other.save()
    RelatedArticle.objects.create(from_article=article, to_article=other, order=1)
    return article


def test_patient_reads_the_article_jumps_through_contents_and_follows_see_also(
    page, seeded
):
    page.goto("/education/neuropathic-pain/")
    assert page.locator("h1").inner_text() == "Neuropathic pain"

    toc = page.get_by_role("navigation", name="On this page")
    toc.get_by_role("link", name="Symptoms of neuropathic pain").click()
    assert page.url.endswith("#symptoms-of-neuropathic-pain")
    heading = page.locator("#symptoms-of-neuropathic-pain")
    assert heading.inner_text() == "Symptoms of neuropathic pain"
    assert (
        heading.is_visible()
        and page.evaluate(
            "document.querySelector('#symptoms-of-neuropathic-pain').getBoundingClientRect().top"
        )
        < 100
    )

    page.locator(".article-body sup a").first.click()
    assert page.url.endswith("#ref-1")
    assert page.locator("#ref-1").inner_text().startswith("Colloca L, Ludman T")

    # The body's "See Types of Back Pain" is a link now that it is published; drafts are text.
    body = page.locator(".article-body")
    assert body.get_by_role("link").all_inner_texts() == ["1", "Types of Back Pain"]

    page.get_by_role("region", name="See also").get_by_role(
        "link", name="Types of Back Pain"
    ).click()
    page.wait_for_url("**/education/types-of-back-pain/")
    assert page.locator("h1").inner_text() == "Types of Back Pain"


def test_patient_searches_in_their_own_words_and_opens_the_result(page, seeded):
    page.goto("/education/")
    page.get_by_label("Search articles").fill("burning feet")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/education/search/?q=burning+feet")
    results = page.locator(".search-results h2 a")
    assert results.all_inner_texts() == ["Neuropathic pain"]
    assert page.locator(".search-results mark").first.inner_text().lower() == "burning"
    results.first.click()
    page.wait_for_url("**/education/neuropathic-pain/")


def test_keyboard_reaches_the_table_of_contents(page, seeded):
    page.goto("/education/neuropathic-pain/")
    focused = []
    for _ in range(30):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
        if focused[-1] == "Neuropathic pain comes from the nerves":
            break
    page.keyboard.press("Enter")
    assert page.url.endswith("#neuropathic-pain-comes-from-the-nerves")


def test_every_education_page_is_accessible_and_valid(
    page, seeded, live_server, assert_accessible, assert_valid_html
):
    paths = [
        "/education/",
        "/education/neuropathic-pain/",
        "/education/types-of-back-pain/",
        "/education/topics/nerve-pain/",
        "/education/symptoms/",
        "/education/search/",
        "/education/search/?q=tingling",
        "/education/search/?q=xylophone",
        "/education/search/?q=%25%25%25",
    ]
    for path in paths:
        page.goto(path)
        assert_accessible(page)
    assert_valid_html(*(live_server.url + path for path in paths))


def test_staff_preview_and_the_article_editor_work_under_the_admin_policy(
    page, seeded, live_server, assert_accessible
):
    editor = make_staff_user(is_superuser=True)
    client = login_verified(Client(), editor)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    draft = Article.objects.get(slug="understanding-chronic-pain")
    page.goto(draft.get_preview_url())
    assert page.get_by_role("status").inner_text().startswith("Preview: draft")
    assert_accessible(page)

    # The prose editor loads (its scripts, styles and icons) without any CSP violation:
    # the page fixture fails the test on console errors.
    page.goto(f"/{settings.ADMIN_URL}education/article/{seeded.pk}/change/")
    editable = page.locator(".prose-editor [contenteditable=true]")
    editable.wait_for()
    assert "Neuropathic pain comes from the nerves" in editable.inner_text()
