"""Test data factories: plain functions with valid defaults; a test states only what matters."""

import itertools

from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

_sequence = itertools.count(1)

# --- appointments ---------------------------------------------------------------------------


def make_appointment_request(**overrides):
    """A genuine request linked to its patient record, as the request form stores it."""
    from appointments.models import AppointmentRequest
    from appointments.services.patients import find_or_create_patient

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
    if "patient" not in fields and fields.get("status") != "spam":
        fields["patient"] = find_or_create_patient(
            name=fields["name"],
            phone=fields["phone"],
            email=fields["email"],
            preferred_contact_method=fields["preferred_contact_method"],
        )
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


# --- clinic ---------------------------------------------------------------------------------


def make_closure(practice, start_date, end_date=None, public_note=""):
    from clinic.models import Closure

    return Closure.objects.create(
        practice=practice,
        start_date=start_date,
        end_date=end_date or start_date,
        public_note=public_note,
    )


def make_tagline(**overrides):
    from clinic.models import Tagline

    number = next(_sequence)
    fields = {
        "language_code": "es",
        "english_name": f"Language {number}",
        "language_name": "Español",
        "text": "ATENCIÓN: si habla español, hay ayuda gratuita. Llame al {phone}.",
        "sort_order": number,
    }
    fields.update(overrides)
    return Tagline.objects.create(**fields)


def make_form_stamp(*, seconds_ago: float = 60, token=None):
    """The signed hidden value a rendered form carries, as if shown `seconds_ago`."""
    import time
    import uuid

    from django.core import signing

    from appointments.forms import STAMP_SALT

    token = token or uuid.uuid4()
    return signing.dumps(
        {"token": token.hex, "at": time.time() - seconds_ago}, salt=STAMP_SALT
    )


def appointment_request_data(**overrides):
    """A complete, valid POST of the appointment request form."""
    data = {
        "form_stamp": make_form_stamp(),
        "website": "",
        "patient_type": "new",
        "reason": "neuropathy",
        "note": "",
        "name": "Jane Doe",
        "phone": "(617) 555-0123",
        "email": "jane@example.com",
        "preferred_contact_method": "phone",
        "has_acknowledged_privacy_notice": "on",
        "has_consented_to_contact": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def contact_message_data(**overrides):
    """A complete, valid POST of the contact form."""
    data = {
        "form_stamp": make_form_stamp(),
        "website": "",
        "name": "Sam Smith",
        "phone": "617-555-0199",
        "email": "",
        "message": "Do you have parking nearby?",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_opening_hours(
    practice, weekdays=(0, 1, 2, 3, 4), opens="09:00", closes="17:00"
):
    for weekday in weekdays:
        practice.opening_hours.create(weekday=weekday, opens_at=opens, closes_at=closes)
    return practice


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


# --- education --------------------------------------------------------------------------------


def make_topic(**overrides):
    from education.models import Topic

    number = next(_sequence)
    fields = {"name": f"Topic {number}", "slug": f"topic-{number}"}
    fields.update(overrides)
    return Topic.objects.create(**fields)


def make_article(*, topics=(), **overrides):
    """A published, live article (publish date one hour ago) unless overrides say otherwise."""
    import datetime

    from django.utils import timezone

    from education.models import Article

    number = next(_sequence)
    fields = {
        "title": f"Article {number}",
        "slug": f"article-{number}",
        "summary": f"What patients should know about subject {number}.",
        "body": f"<h2>About subject {number}</h2><p>Plain words about subject {number}.</p>",
        "status": Article.Status.PUBLISHED,
        "publish_at": timezone.now() - datetime.timedelta(hours=1),
    }
    fields.update(overrides)
    article = Article.objects.create(**fields)
    if topics:
        article.topics.set(topics)
    return article


def make_reference(article, **overrides):
    from education.models import Reference

    fields = {
        "order": article.references.count() + 1,
        "authors": "Colloca L, Ludman T, Bouhassira D, et al",
        "title": "Neuropathic pain",
        "journal": "Nat Rev Dis Primers",
        "year": 2017,
        "volume": "3",
        "pages": "17002",
        "doi": "10.1038/nrdp.2017.2",
    }
    fields.update(overrides)
    return Reference.objects.create(article=article, **fields)


# --- Front desk (workflow, visits) ------------------------------------------------------------


def make_practitioner(*, first_name="Pat", last_name=None, user=None, **overrides):
    """A practitioner who can be booked (no staff account unless `user` is given)."""
    from appointments.models import Practitioner

    last_name = last_name or f"Practitioner{next(_sequence)}"
    fields = {"name": f"{first_name} {last_name}", "user": user}
    fields.update(overrides)
    return Practitioner.objects.create(**fields)


def make_patient(**overrides):
    from appointments.models import Patient

    fields = {
        "name": "Jane Doe",
        "phone": "+16175550123",
        "email": "jane@example.com",
        "preferred_contact_method": "email",
    }
    fields.update(overrides)
    return Patient.objects.create(**fields)


def make_visit_type(**overrides):
    from appointments.models import VisitType

    fields = {"name": f"Follow-up {next(_sequence)}", "duration_minutes": 20}
    fields.update(overrides)
    return VisitType.objects.create(**fields)


def make_visit(**overrides):
    """A booked visit three days ahead, for a web request's patient unless told otherwise."""
    import datetime

    from django.utils import timezone

    from appointments.models import RequestStatus, Visit, VisitSource

    fields = {
        "starts_at": timezone.now() + datetime.timedelta(days=3),
        "duration": datetime.timedelta(minutes=30),
    }
    fields.update(overrides)
    if "patient" not in fields:
        if "appointment_request" not in fields:
            fields["appointment_request"] = make_appointment_request(
                status=RequestStatus.SCHEDULED
            )
        fields["patient"] = fields["appointment_request"].patient
        fields.setdefault("source", VisitSource.WEB)
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
