import datetime

import pytest
from django.urls import reverse

from appointments.models import Notification
from tests.factories import (
    make_appointment_request,
    make_contact_message,
    make_patient,
    make_visit,
)

pytestmark = pytest.mark.django_db


def test_admin_pages_open_for_staff(admin_client):
    appointment_request = make_appointment_request()
    message = make_contact_message()
    notification = Notification.objects.create(
        appointment_request=appointment_request,
        kind="staff_new_request",
        recipient="desk@example.com",
    )
    urls = [
        reverse("admin:appointments_appointmentrequest_changelist"),
        reverse(
            "admin:appointments_appointmentrequest_change",
            args=[appointment_request.pk],
        ),
        reverse("admin:appointments_contactmessage_changelist"),
        reverse("admin:appointments_contactmessage_change", args=[message.pk]),
        reverse("admin:appointments_notification_changelist"),
        reverse("admin:appointments_notification_change", args=[notification.pk]),
    ]
    assert [admin_client.get(url).status_code for url in urls] == [200] * 6


def test_what_the_patient_submitted_cannot_be_edited(admin_client):
    appointment_request = make_appointment_request(note="Tingling in both feet")
    url = reverse(
        "admin:appointments_appointmentrequest_change", args=[appointment_request.pk]
    )
    response = admin_client.post(
        url,
        {
            "status": "contacted",
            "note": "changed",
            "name": "Someone Else",
            "notifications-TOTAL_FORMS": "0",
            "notifications-INITIAL_FORMS": "0",
        },
    )
    appointment_request.refresh_from_db()
    assert response.status_code == 302
    assert (
        appointment_request.status,
        appointment_request.note,
        appointment_request.name,
    ) == ("contacted", "Tingling in both feet", "Jane Doe")


def test_staff_see_notification_delivery_failures(admin_client):
    appointment_request = make_appointment_request()
    Notification.objects.create(
        appointment_request=appointment_request,
        kind="staff_new_request",
        recipient="desk@example.com",
        status="pending",
        attempts=3,
        last_error="SMTPConnectError: 421 service not available",
    )
    body = admin_client.get(
        reverse("admin:appointments_notification_changelist")
    ).content.decode()
    assert appointment_request.reference in body
    assert "SMTPConnectError: 421 service not available" in body


def test_emails_about_a_visit_booked_by_phone_are_listed_with_its_reference(
    admin_client,
):
    """A phone booking has no web request: its confirmation is listed under the visit's own
    reference (the list answered 500 for it) and can be found and sent again."""
    visit = make_visit(patient=make_patient(email="caller@example.com"))
    Notification.objects.create(
        visit=visit, kind="visit_confirmation", recipient="caller@example.com"
    )
    listing = reverse("admin:appointments_notification_changelist")

    page = admin_client.get(listing)
    found = admin_client.get(listing, {"q": visit.reference})

    assert page.status_code == 200 and visit.reference in page.content.decode()
    assert found.context["cl"].result_count == 1
    assert "send_again" in [
        name for name, _ in found.context["action_form"].fields["action"].choices
    ]


def test_a_visits_page_gives_its_length_and_buffer_in_minutes(admin_client):
    visit = make_visit(
        duration=datetime.timedelta(minutes=45), buffer=datetime.timedelta(minutes=15)
    )

    page = admin_client.get(visit.get_admin_url()).content.decode()

    assert "45 min, then 15 min kept free" in page
    assert "0:45:00" not in page
