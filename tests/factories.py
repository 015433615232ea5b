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


# --- clinic ---------------------------------------------------------------------------------


def make_opening_hours(practice, weekday=0, opens_at="09:00", closes_at="17:00"):
    from clinic.models import OpeningHours

    return OpeningHours.objects.create(
        practice=practice, weekday=weekday, opens_at=opens_at, closes_at=closes_at
    )


def make_closure(practice, start_date, end_date=None, public_note=""):
    from clinic.models import Closure

    return Closure.objects.create(
        practice=practice,
        start_date=start_date,
        end_date=end_date or start_date,
        public_note=public_note,
    )
