"""An editor changes a live article safely, in the real admin with its prose editor."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from education.models import Article
from tests.factories import login_verified, make_staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = f"/{settings.ADMIN_URL}"


@pytest.fixture
def seeded(practice):
    call_command("load_seed")
    return Article.objects.get(slug="neuropathic-pain")


@pytest.fixture
def editor_client(live_server, page):
    """A signed-in editor (both factors), in the page's browser and as a test client."""
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
    return client


def patient_sees(browser, live_server, text):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/education/neuropathic-pain/")
    shown = text in page.locator("main").inner_text()
    context.close()
    return shown


def type_at_the_end(page, text):
    editable = page.locator(".prose-editor [contenteditable=true]")
    editable.click()
    editable.press("Control+End")
    page.keyboard.type(text)


def test_editor_previews_typed_text_then_drafts_and_publishes_it(
    page, browser, live_server, seeded, editor_client, assert_accessible
):
    page.goto(f"{ADMIN}education/article/{seeded.pk}/change/")
    page.locator(".prose-editor [contenteditable=true]").wait_for()
    assert_accessible(page)
    type_at_the_end(page, " Typed but not saved.")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Preview changes (nothing is saved)").click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("status")).to_contain_text("not saved yet")
    expect(preview.locator("main")).to_contain_text("Typed but not saved.")
    preview.close()
    assert "Typed but not saved." not in Article.objects.get(pk=seeded.pk).body

    page.get_by_role("link", name="Prepare changes as a draft").click()
    page.get_by_role("button", name="Start the draft").click()
    expect(page.locator(".messagelist")).to_contain_text("Draft revision started")
    assert_accessible(page)
    type_at_the_end(page, " Written in the draft.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Draft saved. Patients still see the published version."
    )
    expect(page.locator(".word-diff ins")).to_contain_text("Written in the draft")
    assert not patient_sees(browser, live_server, "Written in the draft.")

    page.get_by_role("button", name="Publish these changes").click()
    expect(page.locator(".messagelist")).to_contain_text("are now on the live page")
    assert patient_sees(browser, live_server, "Written in the draft.")

    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history ins").first).to_contain_text(
        "Written in the draft"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Revert “Neuropathic pain” to version 1"))
    expect(page.locator(".education-note del")).to_contain_text("Written in the draft")
    assert_accessible(page)
    page.get_by_role("button", name="Revert to this version").click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert not patient_sees(browser, live_server, "Written in the draft.")


def test_editing_pages_are_valid_html(seeded, editor_client, assert_valid_html):
    editor_client.post(f"{ADMIN}education/article/{seeded.pk}/draft/")
    revision = seeded.draft_revision
    first = seeded.history.last()
    pages = [
        f"{ADMIN}education/article/{seeded.pk}/change/",
        f"{ADMIN}education/article/{seeded.pk}/draft/",
        f"{ADMIN}education/articlerevision/{revision.pk}/change/",
        f"{ADMIN}education/article/{seeded.pk}/history/",
        f"{ADMIN}education/article/{seeded.pk}/history/{first.history_id}/",
        f"{ADMIN}education/article/?wanted=yes",
        f"{ADMIN}education/articlefeedback/",
        f"{ADMIN}education/searchsynonym/",
        f"{ADMIN}",
        f"/education/preview/{seeded.pk}/draft/",
    ]
    documents = []
    for path in pages:
        response = editor_client.get(path, follow=True)
        assert response.status_code == 200, path
        documents.append(response.content.decode())
    assert_valid_html(*documents)


def test_admin_lists_and_dashboard_for_editors_are_accessible(
    page, seeded, editor_client, assert_accessible
):
    from education.models import ArticleFeedback

    ArticleFeedback.objects.create(article=seeded, is_useful=False, comment="Longer.")
    for path in [
        ADMIN,
        f"{ADMIN}education/article/",
        f"{ADMIN}education/article/?wanted=yes",
        f"{ADMIN}education/articlefeedback/",
        f"{ADMIN}education/searchsynonym/",
        f"{ADMIN}education/searchsynonym/add/",
        f"{ADMIN}clinic/practice/1/change/",
    ]:
        page.goto(path)
        assert_accessible(page)
    page.goto(ADMIN)
    expect(page.get_by_role("region", name="Patient education")).to_contain_text(
        "12 unwritten articles linked from live pages"
    )
    expect(page.get_by_role("region", name="The About page")).to_contain_text(
        "Still empty"
    )
