import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from appointments import tasks
from appointments.models import AppointmentRequest, ContactMessage, Notification
from tests.factories import (
    appointment_request_data,
    contact_message_data,
    make_article,
    make_form_stamp,
)
from tests.support.forms import form_stamp_in
from tests.support.ratelimits import start_well_inside_the_rate_limit_window

pytestmark = pytest.mark.django_db

FORM_URL = "/appointments/request/"
RECEIVED_URL = "/appointments/request/received/"


def reference_on(response) -> str:
    return re.search(
        r'<strong class="reference">([^<]+)<', response.content.decode()
    ).group(1)


def test_form_page_offers_the_form_with_a_fresh_one_time_token(client, practice):
    first = client.get(FORM_URL)
    second = client.get(FORM_URL)
    body = first.content.decode()
    assert 'action="/appointments/request/"' in body
    assert "If this is a medical emergency, call 911." in body
    assert 'href="tel:+16177202329"' in body
    assert form_stamp_in(first) != form_stamp_in(second)
    assert "no-store" in first["Cache-Control"]


def test_submission_redirects_with_303_to_a_confirmation_with_reference_and_phone(
    client, practice, front_desk
):
    response = client.post(FORM_URL, appointment_request_data())
    appointment_request = AppointmentRequest.objects.get()
    assert (response.status_code, response["Location"]) == (303, RECEIVED_URL)
    confirmation = client.get(RECEIVED_URL)
    body = confirmation.content.decode()
    assert reference_on(confirmation) == appointment_request.reference
    assert "What happens next" in body
    assert 'href="tel:+16177202329"' in body
    assert "Jane" not in response["Location"]
    assert str(appointment_request.pk) not in response["Location"]


def test_request_and_its_notifications_are_stored_together(
    client, practice, front_desk
):
    client.post(
        FORM_URL,
        appointment_request_data(
            note="Burning feet at night", preferred_weekdays=["1", "3"]
        ),
    )
    appointment_request = AppointmentRequest.objects.get()
    assert (
        appointment_request.name,
        appointment_request.phone.as_e164,
        appointment_request.note,
        appointment_request.preferred_weekdays,
        appointment_request.status,
        appointment_request.is_spam,
    ) == ("Jane Doe", "+16175550123", "Burning feet at night", [1, 3], "new", False)
    assert sorted(
        appointment_request.notifications.values_list("kind", "recipient", "status")
    ) == [
        ("patient_acknowledgement", "jane@example.com", "pending"),
        ("staff_new_request", "frontdesk@example.com", "pending"),
    ]


def test_staff_notification_goes_to_the_practice_email_when_set(client, practice):
    practice.email = "desk@kennis.example"
    practice.save()
    client.post(FORM_URL, appointment_request_data(email=""))
    assert list(Notification.objects.values_list("kind", "recipient")) == [
        ("staff_new_request", "desk@kennis.example")
    ]


def test_confirmation_without_a_request_in_this_browser_goes_back_to_the_form(client):
    assertRedirects(client.get(RECEIVED_URL), FORM_URL)


def test_double_click_and_refresh_create_one_request_and_show_the_same_reference(
    client, practice, front_desk
):
    data = appointment_request_data()
    responses = [client.post(FORM_URL, data) for _ in range(3)]
    assert [r.status_code for r in responses] == [303, 303, 303]
    assert AppointmentRequest.objects.count() == 1
    assert Notification.objects.count() == 2
    assert reference_on(client.get(RECEIVED_URL)) == (
        AppointmentRequest.objects.get().reference
    )


def test_errors_keep_everything_typed_and_list_every_problem_at_the_top(
    client, practice
):
    response = client.post(
        FORM_URL,
        appointment_request_data(
            phone="12", note="Pins & needles <b>both</b> feet", name="Jane Doe"
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Request an appointment" in body
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)
    assert "autofocus" in summary
    assert re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', summary) == [
        ("#id_phone", "Enter a phone number we can call, like (617) 555-0123.")
    ]
    assert 'value="Jane Doe"' in body
    assert "Pins &amp; needles &lt;b&gt;both&lt;/b&gt; feet</textarea>" in body
    assert 'aria-describedby="id_phone_error"' in body
    assert AppointmentRequest.objects.count() == 0


def test_posted_token_is_kept_while_the_patient_corrects_mistakes(client, practice):
    stamp = make_form_stamp()
    response = client.post(
        FORM_URL, appointment_request_data(form_stamp=stamp, name="")
    )
    assert form_stamp_in(response) == stamp


def test_forged_fields_are_ignored(client, practice, front_desk):
    client.post(
        FORM_URL,
        appointment_request_data(
            status="scheduled",
            is_spam="on",
            id="999",
            reference="KEN-AAAAA",
            created_at="2000-01-01T00:00",
            source_article_slug="forged",
            submission_token="00000000-0000-0000-0000-000000000000",
        ),
    )
    appointment_request = AppointmentRequest.objects.get()
    assert (
        appointment_request.status,
        appointment_request.is_spam,
        appointment_request.reference == "KEN-AAAAA",
        appointment_request.pk == 999,
        appointment_request.created_at.year == 2000,
        appointment_request.source_article_slug,
    ) == ("new", False, False, False, False, "")
    assert str(appointment_request.submission_token) != (
        "00000000-0000-0000-0000-000000000000"
    )


def test_honeypot_submission_is_kept_apart_as_spam_and_never_notified(
    client, practice, front_desk
):
    response = client.post(
        FORM_URL, appointment_request_data(website="http://spam.example")
    )
    assert response.status_code == 303
    caught = AppointmentRequest.objects.get()
    assert (caught.is_spam, caught.spam_reason, caught.status) == (
        True,
        "honeypot",
        "spam",
    )
    assert list(Notification.objects.all()) == []
    assert list(AppointmentRequest.objects.genuine()) == []


def test_too_fast_submission_is_kept_apart_as_spam(client, practice, front_desk):
    client.post(
        FORM_URL, appointment_request_data(form_stamp=make_form_stamp(seconds_ago=1))
    )
    assert [(r.is_spam, r.spam_reason) for r in AppointmentRequest.objects.all()] == [
        (True, "too_fast")
    ]
    assert list(Notification.objects.all()) == []


def test_arriving_from_an_article_preselects_the_reason_and_records_the_article(
    client, practice, front_desk
):
    article = make_article(slug="what-is-neuropathy")
    page = client.get(FORM_URL, {"article": "what-is-neuropathy"}).content.decode()
    assert 'name="article" value="what-is-neuropathy"' in page
    assert re.search(r'value="neuropathy"[^>]*checked', page)
    client.post(FORM_URL, appointment_request_data(article="what-is-neuropathy"))
    appointment_request = AppointmentRequest.objects.get()
    assert (
        appointment_request.source_article,
        appointment_request.source_article_slug,
    ) == (article, "what-is-neuropathy")


def test_draft_article_is_not_recorded(client, practice, front_desk):
    make_article(slug="draft-piece", status="draft")
    page = client.get(FORM_URL, {"article": "draft-piece"}).content.decode()
    client.post(FORM_URL, appointment_request_data(article="draft-piece"))
    assert 'value="draft-piece"' not in page
    assert list(
        AppointmentRequest.objects.values_list("source_article", "source_article_slug")
    ) == [(None, "")]


def test_unknown_article_slug_is_ignored(client, practice):
    response = client.get(FORM_URL, {"article": "no-such-article"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="article"' in body and 'value="no-such-article"' not in body
    assert "checked" not in body


def test_closed_online_requests_show_staff_message_and_phone(client, practice):
    practice.is_accepting_online_requests = False
    practice.online_requests_closed_message = "We are away until January 5."
    practice.save()
    for response in [
        client.get(FORM_URL),
        client.post(FORM_URL, appointment_request_data()),
        client.get("/contact/"),
    ]:
        body = response.content.decode()
        assert "We are away until January 5." in body
        assert 'href="tel:+16177202329"' in body
        assert "<form" not in body
    assert AppointmentRequest.objects.count() == 0


def test_sixth_new_request_within_ten_minutes_gets_429_with_the_phone(
    client, practice, front_desk
):
    start_well_inside_the_rate_limit_window("127.0.0.1")
    statuses = [
        client.post(FORM_URL, appointment_request_data()).status_code for _ in range(6)
    ]
    response = client.post(FORM_URL, appointment_request_data())
    assert statuses == [303] * 5 + [429]
    assert response.status_code == 429
    assert 'href="tel:+16177202329"' in response.content.decode()
    assert response["Retry-After"] == "600"
    assert AppointmentRequest.objects.count() == 5


def test_behind_a_proxy_each_patient_has_their_own_limit(
    client, practice, front_desk, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    start_well_inside_the_rate_limit_window("203.0.113.7", "198.51.100.20")

    def post_from(address):
        return client.post(
            FORM_URL,
            appointment_request_data(),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=address,
        ).status_code

    first_patient = [post_from("203.0.113.7") for _ in range(6)]
    second_patient = post_from("198.51.100.20")
    assert (first_patient, second_patient) == ([303] * 5 + [429], 303)
    assert AppointmentRequest.objects.count() == 6


def test_repeating_an_accepted_post_does_not_count_towards_the_limit(
    client, practice, front_desk
):
    data = appointment_request_data()
    statuses = [client.post(FORM_URL, data).status_code for _ in range(8)]
    assert statuses == [303] * 8


def test_oversized_body_is_refused_with_a_clear_400(client, practice):
    response = client.post(FORM_URL, appointment_request_data(note="x" * 70_000))
    assert response.status_code == 400
    assert "far longer than this form allows" in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_too_many_fields_is_a_400_not_a_500(client, practice, settings):
    data = appointment_request_data()
    data.update({f"extra{i}": "x" for i in range(1100)})
    response = client.post(FORM_URL, data)
    assert response.status_code == 400
    assert AppointmentRequest.objects.count() == 0


def test_invalid_utf8_is_stored_with_replacement_characters(
    client, practice, front_desk
):
    data = appointment_request_data()
    body = urlencode(data).encode() + b"&note=caf%E9+%FF%FE"
    response = client.post(
        FORM_URL, body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    assert AppointmentRequest.objects.get().note == "caf\ufffd \ufffd\ufffd"


def test_sql_looking_text_and_markup_are_stored_literally_and_shown_escaped(
    client, practice, front_desk, admin_client
):
    note = (
        "'); DROP TABLE appointments_appointmentrequest; -- <script>alert(1)</script>"
    )
    client.post(FORM_URL, appointment_request_data(note=note))
    appointment_request = AppointmentRequest.objects.get()
    assert appointment_request.note == note
    page = admin_client.get(
        reverse(
            "admin:appointments_appointmentrequest_change",
            args=[appointment_request.pk],
        )
    ).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_contact_message_flow(client, practice, front_desk):
    page = client.get("/contact/")
    response = client.post(
        "/contact/",
        contact_message_data(form_stamp=make_form_stamp(), email="sam@example.com"),
    )
    message = ContactMessage.objects.get()
    assert 'action="/contact/"' in page.content.decode()
    assert (response.status_code, response["Location"]) == (303, "/contact/received/")
    assert reference_on(client.get("/contact/received/")) == message.reference
    assert sorted(message.notifications.values_list("kind", "recipient")) == [
        ("message_acknowledgement", "sam@example.com"),
        ("staff_new_message", "frontdesk@example.com"),
    ]


def test_contact_form_errors_are_shown_with_a_summary(client, practice):
    response = client.post("/contact/", contact_message_data(phone="", email=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        '<a href="#id_phone">Give us a phone number or an email address so that we can reply.</a>'
        in body
    )
    assert ContactMessage.objects.count() == 0


def test_pages_work_without_a_practice_record(client):
    assert client.get(FORM_URL).status_code == 200
    assert client.get("/contact/").status_code == 200


def test_error_reports_and_logs_never_show_what_patients_typed(
    client, practice, front_desk, caplog, django_capture_on_commit_callbacks
):
    from django.views.debug import SafeExceptionReporterFilter

    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            FORM_URL, appointment_request_data(note="Numb toes", phone="12")
        )
        client.post(FORM_URL, appointment_request_data(note="Numb toes"))
    tasks.deliver_due()
    reporter = SafeExceptionReporterFilter()
    parameters = reporter.get_post_parameters(response.wsgi_request)
    assert (parameters["note"], parameters["name"], parameters["phone"]) == (
        reporter.cleansed_substitute,
    ) * 3
    assert caplog.records  # the run did log (requests, SQL): none of it is patient data
    # The phone in any format ("555" alone would also match a row number such as 1555).
    for patient_data in ["Numb", "Jane", "jane@example.com", "5550123", "555-0123"]:
        assert patient_data not in caplog.text
