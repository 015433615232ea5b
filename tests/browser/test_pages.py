import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_styled_accessible_and_valid(
    page, practice, live_server, assert_accessible, assert_valid_html
):
    page.goto("/")
    assert page.locator("h1").all_inner_texts() == ["Dr. Jeffrey I. Kennis, D.C."]
    # Our own stylesheet loaded (served by WhiteNoise under its hashed name).
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "18px"
    assert_accessible(page)
    assert_valid_html(live_server.url + "/")
