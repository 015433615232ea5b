"""Test data factories: plain functions with valid defaults; a test states only what matters."""

import itertools

from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

_sequence = itertools.count(1)

# --- appointments ---------------------------------------------------------------------------


def make_appointment_request(**overrides):
    from appointments.models import AppointmentRequest

    fields = {
        "patient_type": "new",
        "reason": "neuropathy",
        "name": "Jane Doe",
        "phone": "+16175550123",
        "email": "jane@example.com",
        "preferred_contact_method": "phone",
        "has_acknowledged_privacy_notice": True,
        "has_consented_to_contact": True,
    }
    fields.update(overrides)
    return AppointmentRequest.objects.create(**fields)


def make_contact_message(**overrides):
    from appointments.models import ContactMessage

    fields = {
        "name": "Sam Smith",
        "phone": "+16175550199",
        "email": "",
        "message": "Do you have parking nearby?",
    }
    fields.update(overrides)
    return ContactMessage.objects.create(**fields)


# --- Admin security (staff accounts, two-factor sign-in) --------------------------------------

STAFF_PASSWORD = "correct-horse-battery-staple"


def make_staff_user(**overrides):
    """An active staff member (no permissions, no authenticator device) with STAFF_PASSWORD."""
    number = next(_sequence)
    fields = {
        "username": f"staff{number}",
        "email": f"staff{number}@example.com",
        "is_staff": True,
    }
    fields.update(overrides)
    password = fields.pop("password", STAFF_PASSWORD)
    return get_user_model().objects.create_user(password=password, **fields)


def make_totp_device(user, **overrides):
    fields = {"name": "Authenticator app", "confirmed": True}
    fields.update(overrides)
    return TOTPDevice.objects.create(user=user, **fields)


def totp_code(device):
    """The code the staff member's authenticator app shows right now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_verified(client, user):
    """Sign `client` in as `user` with a verified authenticator device, as after a real sign-in.

    The admin refuses sessions without a verified device, so `client.force_login(user)` alone no
    longer opens admin pages; use this instead.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = make_totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# --- Front desk (workflow, visits) ------------------------------------------------------------


def make_practitioner(**overrides):
    """A staff account in the “Practitioners” group, so visits can be booked with it."""
    from django.contrib.auth.models import Group

    fields = {"first_name": "Pat", "last_name": f"Practitioner{next(_sequence)}"}
    fields.update(overrides)
    user = make_staff_user(**fields)
    user.groups.add(Group.objects.get(name="Practitioners"))
    return user


def make_visit(**overrides):
    import datetime

    from django.utils import timezone

    from appointments.models import RequestStatus, Visit

    fields = {
        "starts_at": timezone.now() + datetime.timedelta(days=3),
        "duration": datetime.timedelta(minutes=30),
    }
    fields.update(overrides)
    if "appointment_request" not in fields:
        fields["appointment_request"] = make_appointment_request(
            status=RequestStatus.SCHEDULED
        )
    if "practitioner" not in fields:
        fields["practitioner"] = make_practitioner()
    visit = Visit(**fields)
    visit.save()
    return visit


def make_front_desk_user(**overrides):
    from django.contrib.auth.models import Group

    user = make_staff_user(**overrides)
    user.groups.add(Group.objects.get(name="Front desk"))
    return user
