"""Staff accounts: "Add staff member", the single-use set-up link, and a new link for a lost phone.

The set-up link is the only way to a password and an authenticator app; the app's secret lives
in the session that opened the link and nowhere else until the first code confirms it.
"""

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.signin import USED_CODE
from clinic.staff_accounts import issue_setup_link, setup_link_tokens
from clinic.staff_setup import SESSION_KEY
from tests.factories import (
    STAFF_PASSWORD,
    login_verified,
    make_staff_user,
    make_totp_device,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "violet-harbour-lantern-42"
ADD_URL = "/admin/auth/user/add/"


@pytest.fixture
def owner(db):
    return make_staff_user(
        is_superuser=True, email="owner@example.com", first_name="Jeff"
    )


@pytest.fixture
def owner_client(owner):
    return login_verified(Client(), owner)


def add_staff_member(owner_client, **overrides):
    data = {
        "name": "Robin Lee",
        "email": "Robin.Lee@Example.com",
        "role": "front_desk",
        "send_email": "on",
        **overrides,
    }
    return owner_client.post(ADD_URL, data, follow=True)


def shown_link(response):
    return re.search(
        r'id="setup-link"[^>]*value="([^"]+)"', response.content.decode()
    ).group(1)


def code_for(secret):
    return f"{TOTP(bytes.fromhex(secret)).token():06d}"


def open_link(client, link):
    """Open the set-up link: (the response, the secret this session was given)."""
    response = client.get(link.removeprefix("http://testserver"))
    pending = client.session.get(SESSION_KEY)
    return response, pending["secret"] if pending else None


def finish(client, secret, *, password=NEW_PASSWORD, code=None):
    return client.post(
        reverse("admin:staff_setup"),
        {
            "new_password1": password,
            "new_password2": password,
            "otp_token": code or code_for(secret),
        },
    )


# --- Add staff member ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "groups", "is_superuser"),
    [
        ("front_desk", ["Front desk"], False),
        ("editor", ["Editors"], False),
        ("practitioner", ["Practitioners"], False),
        ("owner", [], True),
    ],
)
def test_an_owner_adds_a_staff_member_with_a_role_on_one_page(
    owner_client, practice, mailoutbox, role, groups, is_superuser
):
    response = add_staff_member(owner_client, role=role)

    member = User.objects.get(email="robin.lee@example.com")
    assert (
        member.username,
        member.get_full_name(),
        member.is_staff,
        member.is_superuser,
        list(member.groups.values_list("name", flat=True)),
        member.has_usable_password(),
        TOTPDevice.objects.filter(user=member).exists(),
    ) == (
        "robin.lee@example.com",
        "Robin Lee",
        True,
        is_superuser,
        groups,
        False,
        False,
    )
    link = shown_link(response)
    assert (
        "The link is on its way to robin.lee@example.com" in response.content.decode()
    )
    [email] = mailoutbox
    assert (email.to, email.subject) == (
        ["robin.lee@example.com"],
        "Set up your staff account",
    )
    assert link in email.body
    assert "within 24 hours" in email.body


def test_the_link_is_shown_once_and_never_put_in_an_address(owner_client, practice):
    response = add_staff_member(owner_client, send_email="")
    link = shown_link(response)
    token = link.rstrip("/").rsplit("/", 1)[-1]

    assert all(token not in url for url, _ in response.redirect_chain)
    again = owner_client.get(response.redirect_chain[-1][0])
    assert token not in again.content.decode()
    assert "The link was shown once" in again.content.decode()


def test_an_email_already_in_use_is_refused_with_what_to_do(owner_client, practice):
    make_staff_user(email="robin.lee@example.com")
    response = add_staff_member(owner_client)
    assert response.context["form"].errors == {
        "email": [
            "There is already a staff account with this email address. Open it under "
            "Users and use “New set-up link” instead."
        ]
    }


def test_only_owners_may_add_staff_or_make_links(practice):
    # Even a staff member given every permission on users is not an owner.
    manager = make_staff_user()
    manager.user_permissions.set(Permission.objects.filter(content_type__model="user"))
    client = login_verified(Client(), manager)
    colleague = make_staff_user()

    responses = [
        client.get(ADD_URL),
        client.post(
            ADD_URL, {"name": "X Y", "email": "x@example.com", "role": "owner"}
        ),
        client.post(f"/admin/auth/user/{colleague.pk}/set-up-link/", {}),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert not User.objects.filter(email="x@example.com").exists()
    assert colleague.has_usable_password()


# --- The set-up link ----------------------------------------------------------------------


def test_the_set_up_link_sets_the_password_and_the_app_and_signs_in(
    owner_client, practice, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    link = shown_link(add_staff_member(owner_client, send_email=""))
    member = User.objects.get(email="robin.lee@example.com")
    client = Client()

    response, secret = open_link(client, link)
    assert response.url == reverse("admin:staff_setup")
    page = client.get(response.url)
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    # Nothing of the secret is in the database before the first code proves the phone has it.
    assert TOTPDevice.objects.filter(user=member).count() == 0

    with (
        caplog.at_level(logging.WARNING, logger="clinic.staff_accounts"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        done = finish(client, secret)

    assert (done.status_code, done.url) == (302, reverse("admin:index"))
    assert client.get(reverse("admin:index")).status_code == 200
    [device] = TOTPDevice.objects.filter(user=member)
    member.refresh_from_db()
    assert (device.confirmed, device.key, member.check_password(NEW_PASSWORD)) == (
        True,
        secret,
        True,
    )
    # The owner and the staff member hear of it, and so does the log.
    [notice] = mailoutbox
    assert sorted(notice.to) == ["owner@example.com", "robin.lee@example.com"]
    assert "an authenticator app was set up" in notice.body
    assert "robin.lee@example.com" in notice.body
    assert f"staff account {member.pk} (robin.lee@example.com)" in caplog.text
    # The code typed at set-up has been used: it cannot sign in a second time.
    again = Client().post(
        reverse("admin:login"),
        {
            "username": "robin.lee@example.com",
            "password": NEW_PASSWORD,
            "otp_token": code_for(secret),
        },
    )
    assert again.context["form"].errors == {"__all__": [USED_CODE]}


def test_a_set_up_link_works_once(owner_client, practice):
    link = shown_link(add_staff_member(owner_client, send_email=""))
    client = Client()
    _, secret = open_link(client, link)
    assert finish(client, secret).status_code == 302

    second_use, _ = open_link(Client(), link)

    assert second_use.status_code == 400
    assert "This set-up link has been used already" in second_use.content.decode()


def test_a_set_up_link_stops_working_after_its_hours(owner, practice):
    member = make_staff_user(password=None)
    issue_setup_link(user=member)
    made_25_hours_ago = setup_link_tokens._make_token_with_timestamp(
        member,
        setup_link_tokens._num_seconds(setup_link_tokens._now()) - 25 * 3600,
        setup_link_tokens.secret,
    )
    link = reverse(
        "admin:staff_setup_link",
        kwargs={"uidb64": link_uid(member), "token": made_25_hours_ago},
    )

    response = Client().get(link)

    assert response.status_code == 400


def link_uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def test_each_session_that_opens_the_link_gets_its_own_secret(owner_client, practice):
    link = shown_link(add_staff_member(owner_client, send_email=""))
    onlooker, staff_member = Client(), Client()
    _, seen_by_onlooker = open_link(onlooker, link)
    _, real_secret = open_link(staff_member, link)
    # Reloading keeps a session's own secret, so a scanned code stays valid.
    _, reloaded = open_link(staff_member, link)

    assert seen_by_onlooker != real_secret and reloaded == real_secret
    # The code of the QR code the onlooker saw is worth nothing in the real session.
    refused = finish(staff_member, real_secret, code=code_for(seen_by_onlooker))
    assert refused.status_code == 200
    assert refused.context["form"].errors["otp_token"] == [
        "That code did not match. Check that you scanned the code on this page, then "
        "type the 6 digits your app shows now."
    ]
    assert finish(staff_member, real_secret).status_code == 302
    # Once set up, the onlooker's session can do nothing with what it saw.
    assert finish(onlooker, seen_by_onlooker).status_code == 400
    member = User.objects.get(email="robin.lee@example.com")
    assert TOTPDevice.objects.get(user=member).key == real_secret


def test_a_weak_or_mistyped_password_is_refused_and_nothing_is_saved(
    owner_client, practice
):
    link = shown_link(add_staff_member(owner_client, send_email=""))
    client = Client()
    _, secret = open_link(client, link)

    weak = finish(client, secret, password="robin12")
    mismatch = client.post(
        reverse("admin:staff_setup"),
        {
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
            "otp_token": code_for(secret),
        },
    )

    assert "This password is too short" in str(weak.context["form"].errors)
    assert mismatch.context["form"].errors["new_password2"] == [
        "The two password fields didn’t match."
    ]
    member = User.objects.get(email="robin.lee@example.com")
    assert TOTPDevice.objects.filter(user=member).count() == 0
    assert not member.has_usable_password()


def test_a_changed_or_made_up_link_is_refused(client, practice):
    member = make_staff_user()
    responses = [
        client.get(f"/admin/set-up/{link_uid(member)}/abc-123/"),
        client.get("/admin/set-up/Zm9v/abc-123/"),
        client.get("/admin/set-up/!!!/x/"),
        client.get(reverse("admin:staff_setup")),
    ]
    assert [response.status_code for response in responses] == [400] * 4


# --- Lost phone: a new link ---------------------------------------------------------------


def test_a_new_link_ends_the_old_password_app_and_link(
    owner_client, practice, mailoutbox
):
    member = make_staff_user(email="pat@example.com")
    old_device = make_totp_device(member)
    old_link = issue_setup_link(user=member)
    member.set_password(STAFF_PASSWORD)
    member.save()
    make_totp_device(member)

    page = owner_client.get(f"/admin/auth/user/{member.pk}/change/")
    assert "New set-up link (lost phone, forgotten password)" in page.content.decode()
    response = owner_client.post(
        f"/admin/auth/user/{member.pk}/set-up-link/", {"send_email": "on"}, follow=True
    )

    member.refresh_from_db()
    assert (
        member.has_usable_password(),
        TOTPDevice.objects.filter(user=member).count(),
    ) == (
        False,
        0,
    )
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert open_link(Client(), old_link)[0].status_code == 400
    new_link = shown_link(response)
    assert new_link in mailoutbox[0].body
    client = Client()
    _, secret = open_link(client, new_link)
    assert finish(client, secret).status_code == 302


def test_the_device_pages_never_show_an_apps_secret(owner_client, practice):
    member = make_staff_user()
    device = make_totp_device(member)
    page = owner_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert owner_client.get(
        f"/admin/otp_totp/totpdevice/{device.pk}/config/"
    ).status_code in {
        403,
        404,
    }


def test_the_users_list_says_who_has_set_up_their_app(owner_client, owner, practice):
    make_staff_user(username="waiting@example.com")
    page = owner_client.get("/admin/auth/user/")
    rows = {
        cells[0]: cells
        for cells in re.findall(
            r'<tr>.*?<th class="field-username"><a [^>]*>([^<]+)</a></th>(.*?)</tr>',
            page.content.decode(),
            re.S,
        )
    }
    assert (
        'alt="True"' in rows[owner.username][1].split("field-has_authenticator")[1][:80]
    )
    assert (
        'alt="False"'
        in rows["waiting@example.com"][1].split("field-has_authenticator")[1][:80]
    )
