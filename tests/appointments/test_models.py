import datetime
import re
import uuid

import pytest
from django.db import IntegrityError
from django.utils import timezone

from appointments.models import AppointmentRequest, Notification
from tests.factories import make_appointment_request, make_contact_message

pytestmark = pytest.mark.django_db


def test_reference_is_short_readable_and_not_the_database_id():
    first = make_appointment_request()
    second = make_appointment_request()
    assert re.fullmatch(r"KEN-[0-9A-HJKMNP-TV-Z]{5}", first.reference)
    assert first.reference != second.reference
    assert str(first.pk) not in first.reference.removeprefix("KEN-")


def test_one_request_per_submission_token():
    token = uuid.uuid4()
    make_appointment_request(submission_token=token)
    with pytest.raises(IntegrityError):
        make_appointment_request(submission_token=token)


def test_request_str_names_patient_by_first_name_and_initial_only():
    received = timezone.make_aware(datetime.datetime(2026, 3, 2, 23, 30))
    appointment_request = make_appointment_request(
        name="Jane Q. Doe", created_at=received, note="numb feet"
    )
    assert str(appointment_request) == "Jane D., 2026-03-02"


def test_contact_by_email_needs_an_email_address():
    with pytest.raises(IntegrityError):
        make_appointment_request(email="", preferred_contact_method="email")


def test_contact_message_needs_a_phone_or_an_email():
    make_contact_message(phone="", email="sam@example.com")
    make_contact_message(phone="+16175550100", email="")
    with pytest.raises(IntegrityError):
        make_contact_message(phone="", email="")


def test_notification_is_about_exactly_one_submission():
    appointment_request = make_appointment_request()
    message = make_contact_message()
    with pytest.raises(IntegrityError):
        Notification.objects.create(
            appointment_request=appointment_request,
            contact_message=message,
            kind="staff_new_request",
            recipient="desk@example.com",
        )


def test_preferred_times_summary_reads_as_one_line():
    appointment_request = make_appointment_request(
        preferred_weekdays=[2, 0],
        preferred_times_of_day=["morning"],
        preferred_dates=[datetime.date(2026, 11, 3)],
    )
    assert appointment_request.preferred_times_summary() == "Mon, Wed morning; Nov 3"
    assert AppointmentRequest(name="x").preferred_times_summary() == "Any time"
