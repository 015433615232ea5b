"""Test data factories: plain functions with valid defaults; a test states only what matters."""

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
