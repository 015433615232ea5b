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
