"""Staff accounts: roles, single-use set-up links, and enrolling an authenticator app.

A password alone never opens anything. A superuser adds a staff member (name, email, role) and
gets a set-up link, valid once and for STAFF_SETUP_LINK_HOURS: it is the only way to choose a
password and enrol an authenticator app. "Lost phone" (or a forgotten password) issues a new
link, which first ends the old password, the old app and every earlier link. Enrolling tells
the account holder and the owners by email, and the log.
"""

import base64
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Practice

logger = logging.getLogger(__name__)

ENROLMENT_DEVICE_NAME = "Authenticator app"


class Role(models.TextChoices):
    # The groups are created by the appointments app (appointments/groups.py); they are named
    # here as data, since the practice package imports no app.
    FRONT_DESK = "front_desk", "Front desk"
    EDITOR = "editor", "Editor"
    PRACTITIONER = "practitioner", "Practitioner"
    OWNER = "owner", "Owner"


ROLE_GROUPS = {
    Role.FRONT_DESK: "Front desk",
    Role.EDITOR: "Editors",
    Role.PRACTITIONER: "Practitioners",
    Role.OWNER: None,  # a superuser: every permission, no group needed
}
ROLE_HELP = {
    Role.FRONT_DESK: "requests, messages, visits and exports",
    Role.EDITOR: "patient-education articles",
    Role.PRACTITIONER: "sees requests and the schedule; can be booked for visits",
    Role.OWNER: "everything, including staff accounts",
}


class SetupLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens, salted for set-up links and tied to the app too.

    A link dies once used (the password changes), when a newer one is issued (the password is
    made unusable again, with a new random value), when a device is added or removed, and after
    PASSWORD_RESET_TIMEOUT (STAFF_SETUP_LINK_HOURS; this site has no other password reset).
    """

    key_salt = "clinic.staff_accounts.SetupLinkTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        devices = ",".join(
            str(pk)
            for pk in TOTPDevice.objects.filter(user=user)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return f"{user.pk}{user.password}{user.is_active}{devices}{timestamp}"


setup_link_tokens = SetupLinkTokenGenerator()


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _absolute(path, request=None):
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path) if request is not None else path


@transaction.atomic
def add_staff_member(*, name: str, email: str, role: str):
    """Create the account of a new staff member, with no password and no app yet."""
    first_name, _, last_name = name.strip().partition(" ")
    email = get_user_model().objects.normalize_email(email).lower()
    user = get_user_model().objects.create_user(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name.strip(),
        password=None,
        is_staff=True,
        is_superuser=role == Role.OWNER,
    )
    if group_name := ROLE_GROUPS[Role(role)]:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@transaction.atomic
def issue_setup_link(*, user, request=None) -> str:
    """A new set-up link for `user`: their password, app and earlier links stop working."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    path = reverse(
        "admin:staff_setup_link",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": setup_link_tokens.make_token(user),
        },
    )
    logger.info("Set-up link issued for staff account %s", user.pk)
    return _absolute(path, request)


def link_hours() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 3600


def practice_name() -> str:
    practice = Practice.get_current()
    return practice.name if practice else "the practice"


def email_setup_link(*, user, link: str) -> bool:
    """Send the set-up link to the staff member's own address; False if the mail server failed."""
    body = (
        f"Hello {user.first_name or display_name(user)},\n\n"
        f"A staff account for the website of {practice_name()} is ready for you. Open this "
        f"link to choose your password and set up the authenticator app on your phone "
        f"(it takes about two minutes):\n\n{link}\n\n"
        f"The link works once, within {link_hours()} hours. Your username is "
        f"{user.get_username()}.\n\n"
        "If you did not expect this email, ignore it and tell the practice.\n"
    )
    try:
        send_mail(
            "Set up your staff account",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:
        logger.exception("Could not email the set-up link to staff account %s", user.pk)
        return False
    return True


def new_totp_secret() -> str:
    """A fresh 20-byte TOTP key (hex, as TOTPDevice stores it): shown once, in one session."""
    return secrets.token_hex(20)


def grouped_secret(secret: str) -> str:
    """The key in groups of four, for typing into an app by hand when scanning fails."""
    key = base64.b32encode(bytes.fromhex(secret)).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_issuer(device):
    """The name the authenticator app shows next to the code (OTP_TOTP_ISSUER)."""
    practice = Practice.get_current()
    return f"{practice.name} staff" if practice else "Practice website staff"


def totp_config_url(*, user, secret: str) -> str:
    """The otpauth:// URI of a device not yet saved (the QR code on the set-up page)."""
    return TOTPDevice(user=user, key=secret, name=ENROLMENT_DEVICE_NAME).config_url


def matching_time_step(*, secret: str, token: str) -> int | None:
    """The time step whose code `token` is (one step of clock drift either way), or None."""
    if not (token.isascii() and token.isdigit()):
        return None
    totp = TOTP(bytes.fromhex(secret), step=30, t0=0, digits=6, drift=0)
    if totp.verify(int(token), tolerance=1):
        return totp.t()
    return None


@transaction.atomic
def enrol_device(*, user, secret: str, time_step: int, address: str = ""):
    """Give `user` their one authenticator device, confirmed, and tell them and the owners.

    `time_step` is that of the code they typed, so the same code cannot sign in again.
    """
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user,
        name=ENROLMENT_DEVICE_NAME,
        key=secret,
        confirmed=True,
        last_t=time_step,
    )
    announce_enrolment(user=user, address=address)
    return device


def announce_enrolment(*, user, address: str = "") -> None:
    """Email the account holder and the owners that an app was enrolled, and log it."""
    when = timezone.localtime()
    logger.warning(
        "Authenticator app enrolled for staff account %s (%s) from %s",
        user.pk,
        user.get_username(),
        address or "the server",
    )
    owners = (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
    )
    recipients = sorted({user.email, *owners.values_list("email", flat=True)} - {""})
    if not recipients:
        return
    where = f" from the internet address {address}" if address else " on the server"
    body = (
        f"On {when:%A, %B %-d, %Y at %-I:%M %p} (Boston time) an authenticator app was set "
        f"up{where} for the staff account {user.get_username()} ({display_name(user)}) on "
        f"the website of {practice_name()}.\n\n"
        "From now on that app's codes sign in to this account. If you did not expect this, "
        "tell the practice's owner at once: an owner can issue a new set-up link under Users, "
        "which ends the app set up now.\n"
    )

    def send():
        try:
            send_mail(
                "An authenticator app was set up for a staff account",
                body,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
        except Exception:
            logger.exception(
                "Could not email the enrolment of staff account %s", user.pk
            )

    transaction.on_commit(send)
