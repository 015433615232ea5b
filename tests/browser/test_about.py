"""The About page, and the home and visit pages once staff fill in the practice's "about" fields."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
PAGES = ["about", "home", "visit"]


@pytest.fixture
def filled_in(practice, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    source = tmp_path / "photo.png"
    Image.new("RGB", (800, 1000), "teal").save(source)
    practice.practitioner_photo = SimpleUploadedFile("photo.png", source.read_bytes())
    practice.practitioner_bio = (
        "I listen first, explain what I find, and we agree a plan."
    )
    practice.practitioner_qualifications = "Doctor of Chiropractic"
    practice.conditions_treated = "Neck pain\nSciatica"
    practice.first_visit = "Plan on an hour."
    practice.insurance_and_payment = "Call us to check your plan."
    practice.parking_and_transit = "Metered parking on Commercial St."
    practice.save()
    return practice


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_about_home_and_visit_pages_filled_in_are_accessible_and_valid(
    page,
    filled_in,
    live_server,
    assert_accessible,
    assert_valid_html,
    viewport,
):
    page.set_viewport_size(viewport)
    page.goto(reverse("home"))
    card = page.get_by_role("region", name="Meet Dr. Jeffrey I. Kennis, D.C.")
    expect(
        card.get_by_role("img", name="Photo of Dr. Jeffrey I. Kennis, D.C.")
    ).to_be_visible()
    assert_accessible(page)
    card.get_by_role(
        "link", name="About Dr. Jeffrey I. Kennis, D.C. and your first visit"
    ).click()
    page.wait_for_url("**/about/")
    expect(page.get_by_role("region", name="Conditions treated")).to_contain_text(
        "Sciatica"
    )
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    assert_accessible(page)
    page.goto(reverse("visit"))
    expect(page.get_by_role("region", name="Parking and transit")).to_contain_text(
        "Metered parking"
    )
    assert_accessible(page)
    if viewport is PHONE:
        assert_valid_html(*(live_server.url + reverse(name) for name in PAGES))


def test_the_about_page_before_anything_is_filled_in_is_accessible_and_valid(
    page, practice, live_server, assert_accessible, assert_valid_html
):
    page.goto(reverse("about"))
    expect(page.locator("main")).to_contain_text("will appear here soon")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.reload()
    assert_accessible(page)
    assert_valid_html(live_server.url + reverse("about"))
