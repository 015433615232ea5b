"""Staff accounts in Chromium: the owner adds a staff member, the newcomer follows the set-up link,
and the lost-phone link; every page keyboard-usable, axe-clean, valid HTML and fitting a phone."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.admin_pages import overflow_at_phone_width, sign_in, tab_to
from tests.factories import (
    STAFF_PASSWORD,
    make_staff_user,
    make_totp_device,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "violet-harbour-lantern-42"


def code_from_setup_key(page):
    """What an authenticator app shows after the key on the page is typed into it by hand."""
    key = page.locator(".staff-setup code").inner_text().replace(" ", "")
    return f"{TOTP(base64.b32decode(key)).token():06d}"


def test_owner_adds_a_staff_member_who_sets_up_by_keyboard_alone(
    page, browser, practice, settings, live_server, assert_accessible, assert_valid_html
):
    # Links in emails and on the page are made from SITE_URL, the site's public address.
    settings.SITE_URL = live_server.url
    owner = make_staff_user(is_superuser=True, email="owner@example.com")
    sign_in(page, owner, totp_code(make_totp_device(owner)))

    page.goto("/admin/auth/user/add/")
    assert page.locator("h1").inner_text() == "Add staff member"
    assert_accessible(page)
    # Nothing typed: the errors, also checked.
    page.get_by_role("button", name="Add staff member and make the link").click()
    expect(page.locator(".errornote")).to_be_visible()
    assert_accessible(page)
    pages = [page.content()]

    tab_to(page, "#id_name")
    page.keyboard.type("Robin Lee")
    tab_to(page, "#id_email")
    page.keyboard.type("robin@example.com")
    tab_to(page, "#id_role_0")
    page.keyboard.press("Space")  # Front desk
    tab_to(page, "#id_send_email")
    page.keyboard.press("Space")  # untick: the link is handed over in person
    tab_to(page, "input[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/set-up-link/issued/$"))
    link = page.get_by_label("Set-up link for robin@example.com").input_value()
    assert link.startswith(live_server.url + "/admin/set-up/")
    assert_accessible(page)
    assert overflow_at_phone_width(page) == 0
    pages.append(page.content())

    # The newcomer, in their own browser.
    newcomer = browser.new_context(base_url=live_server.url)
    their_page = newcomer.new_page()
    their_page.goto(link)
    their_page.wait_for_url(re.compile(r"/admin/set-up/$"))
    assert their_page.get_by_role(
        "img", name="QR code to scan with your authenticator app"
    ).is_visible()
    assert_accessible(their_page)
    assert overflow_at_phone_width(their_page) == 0
    pages.append(their_page.content())
    tab_to(their_page, "#id_new_password1")
    their_page.keyboard.type(NEW_PASSWORD)
    tab_to(their_page, "#id_new_password2")
    their_page.keyboard.type(NEW_PASSWORD)
    tab_to(their_page, "#id_otp_token")
    their_page.keyboard.type(code_from_setup_key(their_page))
    their_page.keyboard.press("Enter")
    their_page.wait_for_url(re.compile(r"/admin/$"))
    assert "Your account is set up." in their_page.locator(".messagelist").inner_text()
    robin = get_user_model().objects.get(username="robin@example.com")
    assert TOTPDevice.objects.filter(user=robin, confirmed=True).count() == 1

    # The same link again: used.
    their_page.goto(link)
    assert their_page.locator("h1").inner_text() == "This set-up link does not work"
    assert_accessible(their_page)
    pages.append(their_page.content())
    newcomer.close()
    assert_valid_html(*pages)


def test_lost_phone_link_and_the_sign_in_error_pages(
    page, practice, browser_errors, assert_accessible, assert_valid_html
):
    owner = make_staff_user(is_superuser=True)
    member = make_staff_user(email="pat@example.com")
    make_totp_device(member)
    sign_in(page, owner, totp_code(make_totp_device(owner)))

    page.goto(f"/admin/auth/user/{member.pk}/change/")
    page.get_by_role(
        "link", name="New set-up link (lost phone, forgotten password)"
    ).click()
    assert_accessible(page)
    assert overflow_at_phone_width(page) == 0
    pages = [page.content()]
    tab_to(page, "input[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/set-up-link/issued/$"))
    assert "The link is on its way to pat@example.com" in page.content()
    assert TOTPDevice.objects.filter(user=member).count() == 0
    # Reloading shows it no more.
    page.reload()
    assert "The link was shown once" in page.content()
    assert_accessible(page)
    pages.append(page.content())

    # A wrong sign-in, seen by someone else on another computer.
    other = page.context.browser.new_context(base_url=page.url.split("/admin/")[0])
    sign_in_page = other.new_page()
    sign_in(sign_in_page, member, "123456")
    assert (
        sign_in_page.locator(".errornote")
        .inner_text()
        .startswith("That username, password and code do not match.")
    )
    assert STAFF_PASSWORD not in sign_in_page.content()
    assert_accessible(sign_in_page)
    pages.append(sign_in_page.content())
    other.close()
    assert_valid_html(*pages)
