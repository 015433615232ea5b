import datetime
import importlib
import io

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import settings as production_settings
from clinic.signin import USED_CODE, WRONG_SIGN_IN
from tests.factories import (
    STAFF_PASSWORD,
    make_staff_user,
    make_totp_device,
    totp_code,
)

pytestmark = pytest.mark.django_db


def wrong_code(device):
    return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"


def sign_in(client, user, *, password=STAFF_PASSWORD, code="", address="127.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {
            "username": user.username,
            "password": password,
            "otp_token": code,
            "next": reverse("admin:index"),
        },
        REMOTE_ADDR=address,
    )


def test_password_alone_does_not_open_the_admin(client):
    user = make_staff_user(is_superuser=True)
    make_totp_device(user)

    response = sign_in(client, user)

    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [WRONG_SIGN_IN]}
    assert client.get(reverse("admin:index")).url.startswith(reverse("admin:login"))


def test_every_kind_of_wrong_sign_in_gets_the_same_answer(client):
    """A guesser must not learn that the password was right (today: "enter the code")."""
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    newcomer = make_staff_user(is_superuser=True)  # right password, no app yet
    answers = [
        sign_in(Client(), user, password="wrong-password-123").context["form"].errors,
        sign_in(Client(), user).context["form"].errors,
        sign_in(Client(), user, code=wrong_code(device)).context["form"].errors,
        sign_in(Client(), newcomer).context["form"].errors,
        sign_in(Client(), newcomer, code="123456").context["form"].errors,
    ]
    assert answers == [{"__all__": [WRONG_SIGN_IN]}] * 5


def test_a_password_alone_never_opens_anything_for_an_account_without_an_app(client):
    newcomer = make_staff_user(is_superuser=True)

    response = sign_in(client, newcomer)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).url.startswith(reverse("admin:login"))
    # No secret is made, shown or kept for someone holding only a password.
    assert TOTPDevice.objects.filter(user=newcomer).count() == 0
    assert "data:image/svg+xml" not in response.content.decode()


def test_the_sign_in_page_never_writes_the_typed_password_back(client):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)

    after_wrong_code = sign_in(client, user, code=wrong_code(device))
    after_no_code = sign_in(client, user)

    for response in (after_wrong_code, after_no_code):
        assert STAFF_PASSWORD not in response.content.decode()


def test_a_session_without_a_verified_device_is_sent_to_sign_in(client):
    user = make_staff_user(is_superuser=True)
    make_totp_device(user)
    client.force_login(user)

    response = client.get(reverse("admin:auth_user_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_password_and_current_code_open_the_admin(client):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)

    response = sign_in(client, user, code=totp_code(device))

    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "Front desk" in index.content.decode()


def test_a_wrong_code_is_refused(client):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)

    response = sign_in(client, user, code=wrong_code(device))

    assert response.context["form"].errors == {"__all__": [WRONG_SIGN_IN]}
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_code_used_once_is_refused_again_with_a_plain_reason(client):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    code = totp_code(device)
    assert sign_in(Client(), user, code=code).status_code == 302

    again = sign_in(client, user, code=code)

    assert again.context["form"].errors == {"__all__": [USED_CODE]}
    # Not counted as a guess: the person holds the real code.
    assert AccessAttempt.objects.count() == 0


def test_wrong_codes_count_towards_the_lockout_like_wrong_passwords(client, practice):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    statuses = []
    for _ in range(5):
        statuses.append(sign_in(client, user, code=wrong_code(device)).status_code)
        # django-otp pauses a device after each wrong code; skip the pause, not the count.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - datetime.timedelta(hours=1)
        )

    assert statuses == [200, 200, 200, 200, 429]
    assert sign_in(client, user, code=totp_code(device)).status_code == 429


def test_the_pause_after_wrong_codes_is_capped_at_minutes_not_days(client):
    user = make_staff_user(is_superuser=True)
    # Thirty wrong codes by a guesser holding the password: django-otp alone would now wait
    # 2^29 seconds (17 years) before trying any code again.
    device = make_totp_device(
        user,
        throttling_failure_count=30,
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(minutes=9),
    )

    response = sign_in(client, user, code=totp_code(device))

    assert (response.status_code, response.url) == (302, reverse("admin:index"))


def test_a_posted_device_that_is_not_confirmed_is_refused(client):
    user = make_staff_user(is_superuser=True)
    make_totp_device(user)
    # A device someone set up but never confirmed (its key seen on a screen, say).
    pending = make_totp_device(user, confirmed=False)

    response = client.post(
        reverse("admin:login"),
        {
            "username": user.username,
            "password": STAFF_PASSWORD,
            "otp_device": pending.persistent_id,
            "otp_token": totp_code(pending),
            "next": reverse("admin:index"),
        },
    )

    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_five_failures_lock_that_user_and_address_with_429(client, practice):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)

    statuses = [
        sign_in(client, user, password="wrong-password-123").status_code
        for _ in range(5)
    ]
    locked = sign_in(client, user, code=totp_code(device))

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "signing in is paused for 15 minutes" in body
    assert 'href="tel:+16177202329"' in body
    assert client.get(reverse("admin:index")).status_code == 302
    # Another address, or another user from this address, is not locked.
    other_address = sign_in(Client(), user, code=totp_code(device), address="10.0.0.9")
    colleague = make_staff_user(is_superuser=True)
    colleague_device = make_totp_device(colleague)
    other_user = sign_in(Client(), colleague, code=totp_code(colleague_device))
    assert (other_address.status_code, other_user.status_code) == (302, 302)


def test_twenty_failures_for_one_account_from_many_addresses_pause_that_account(
    practice,
):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    colleague = make_staff_user(is_superuser=True)
    colleague_device = make_totp_device(colleague)

    guesses = [
        sign_in(Client(), user, password="wrong-password-123", address=f"203.0.113.{n}")
        for n in range(1, 21)
    ]
    from_a_new_address = sign_in(
        Client(), user, code=totp_code(device), address="198.51.100.20"
    )
    colleague_signs_in = sign_in(
        Client(), colleague, code=totp_code(colleague_device), address="203.0.113.1"
    )

    assert [guess.status_code for guess in guesses] == [200] * 19 + [429]
    assert from_a_new_address.status_code == 429
    assert colleague_signs_in.status_code == 302


def test_twenty_failures_from_one_address_for_many_accounts_pause_that_address(
    practice,
):
    accounts = [make_staff_user() for _ in range(21)]
    guesses = [
        sign_in(Client(), account, password="wrong-password-123", address="203.0.113.7")
        for account in accounts[:20]
    ]
    owner = accounts[20]
    device = make_totp_device(owner)
    from_that_address = sign_in(
        Client(), owner, code=totp_code(device), address="203.0.113.7"
    )
    from_elsewhere = sign_in(
        Client(), owner, code=totp_code(device), address="198.51.100.20"
    )

    assert [guess.status_code for guess in guesses] == [200] * 19 + [429]
    assert (from_that_address.status_code, from_elsewhere.status_code) == (429, 302)


def test_an_ipv6_guesser_counts_as_one_address_across_their_64_bit_network(practice):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    guesses = [
        sign_in(
            Client(), user, password="wrong-password-123", address=f"2001:db8:1:2::{n}"
        )
        for n in range(1, 6)
    ]
    same_network = sign_in(
        Client(), user, code=totp_code(device), address="2001:db8:1:2:ffff::1"
    )
    other_network = sign_in(
        Client(), user, code=totp_code(device), address="2001:db8:9:9::1"
    )

    assert [guess.status_code for guess in guesses] == [200] * 4 + [429]
    assert (same_network.status_code, other_network.status_code) == (429, 302)


def test_behind_a_proxy_the_lock_holds_the_guessers_address_not_the_staff_members(
    settings, practice
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)

    def sign_in_from(address, **credentials):
        # Every request reaches the site from the proxy (127.0.0.1), which names the client.
        return Client().post(
            reverse("admin:login"),
            {
                "username": user.username,
                "otp_token": "",
                "next": reverse("admin:index"),
                **credentials,
            },
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=address,
        )

    guesses = [
        sign_in_from("203.0.113.7", password="wrong-password-123").status_code
        for _ in range(5)
    ]
    guesser = sign_in_from(
        "203.0.113.7", password=STAFF_PASSWORD, otp_token=totp_code(device)
    )
    at_the_front_desk = sign_in_from(
        "198.51.100.20", password=STAFF_PASSWORD, otp_token=totp_code(device)
    )
    assert (guesses, guesser.status_code) == ([200, 200, 200, 200, 429], 429)
    assert (at_the_front_desk.status_code, at_the_front_desk.url) == (
        302,
        reverse("admin:index"),
    )


def test_lock_lifts_after_the_15_minute_cool_off(client):
    user = make_staff_user(is_superuser=True)
    device = make_totp_device(user)
    for _ in range(5):
        sign_in(client, user, password="wrong-password-123")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=16)
    )

    response = sign_in(client, user, code=totp_code(device))

    assert (response.status_code, response.url) == (302, reverse("admin:index"))


def test_passwords_are_hashed_with_argon2_and_old_hashes_upgraded(settings, client):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = make_staff_user()
    assert user.password.startswith("argon2$")

    get_user_model().objects.filter(pk=user.pk).update(
        password=make_password(STAFF_PASSWORD, hasher="pbkdf2_sha256")
    )
    sign_in(client, user)
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_weak_passwords_are_refused():
    with pytest.raises(ValidationError) as error:
        validate_password("front1234")
    assert error.value.messages == [
        "This password is too short. It must contain at least 12 characters."
    ]
    with pytest.raises(ValidationError) as error:
        validate_password("123456123456")
    assert error.value.messages == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]


def test_staff_session_ends_after_30_idle_minutes(staff_client):
    user = make_staff_user(is_superuser=True)
    client = staff_client(user)

    before = timezone.now()
    assert client.get(reverse("admin:index")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Every request pushes the expiry 30 minutes ahead of the last activity.
    assert (
        before + datetime.timedelta(minutes=30)
        <= session.expire_date
        <= timezone.now() + datetime.timedelta(minutes=30)
    )

    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("admin:index"))
    assert response.url.startswith(reverse("admin:login"))


@pytest.fixture
def custom_admin_path(settings):
    import clinic.urls

    settings.ADMIN_URL = "back-office-7f3q/"
    importlib.reload(clinic.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(clinic.urls)
    clear_url_caches()


def test_admin_lives_at_the_configured_path_which_robots_txt_never_names(
    client, custom_admin_path
):
    assert reverse("admin:index") == "/back-office-7f3q/"
    assert client.get("/admin/").status_code == 404
    assert client.get("/back-office-7f3q/").url.startswith("/back-office-7f3q/login/")
    assert "back-office" not in client.get(reverse("robots_txt")).content.decode()


def test_add_totp_device_command_prints_a_qr_code_that_signs_in(client, practice):
    user = make_staff_user(is_superuser=True)
    out = io.StringIO()

    call_command("add_totp_device", user.username, stdout=out)

    device = TOTPDevice.objects.get(user=user)
    output = out.getvalue()
    assert device.confirmed is True
    assert f"otpauth URI: {device.config_url}" in output
    # The phone's app labels the code with the practice's name.
    assert device.config_url.startswith(
        f"otpauth://totp/Dr.%20Jeffrey%20I.%20Kennis%2C%20D.C.%20staff%3A{user.username}?"
    )
    assert "█" in output or "▀" in output
    response = sign_in(client, user, code=totp_code(device))
    assert response.url == reverse("admin:index")
