"""Whatever arrives, the forms answer with a page, never a server error."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appointments.models import AppointmentRequest, ContactMessage
from tests.factories import appointment_request_data, contact_message_data

pytestmark = pytest.mark.django_db

# Text a browser can send: anything but lone surrogates, which cannot be encoded.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=600)
REQUEST_FIELDS = list(appointment_request_data()) + [
    "preferred_weekdays",
    "preferred_times_of_day",
    "preferred_date_1",
    "article",
    "status",
]
CONTACT_FIELDS = list(contact_message_data())


@pytest.fixture
def generous_limits(settings):
    """Many examples run in one test: keep them from all ending up at the rate limit."""
    settings.REQUEST_RATE_LIMIT = settings.REQUEST_POST_RATE_LIMIT = "10000/m"


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    overrides=st.dictionaries(
        st.sampled_from(REQUEST_FIELDS),
        any_text | st.lists(any_text, max_size=3),
        max_size=6,
    )
)
def test_appointment_form_never_fails_with_a_server_error(
    client, generous_limits, overrides
):
    data = {**appointment_request_data(), **overrides}
    response = client.post("/appointments/request/", data)
    assert response.status_code in {303, 400}
    if response.status_code == 400:
        assert "There is a problem with what you sent" in response.content.decode()


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    overrides=st.dictionaries(st.sampled_from(CONTACT_FIELDS), any_text, max_size=4),
)
def test_contact_form_never_fails_with_a_server_error(
    client, generous_limits, overrides
):
    response = client.post("/contact/", {**contact_message_data(), **overrides})
    assert response.status_code in {303, 400}


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=st.binary(max_size=2000))
def test_raw_bytes_never_cause_a_server_error(client, generous_limits, body):
    for content_type in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
    ]:
        response = client.post(
            "/appointments/request/", body, content_type=content_type
        )
        assert response.status_code in {303, 400}


def test_post_without_csrf_token_is_refused():
    response = Client(enforce_csrf_checks=True).post(
        "/appointments/request/", appointment_request_data()
    )
    assert response.status_code == 403
    assert AppointmentRequest.objects.count() == 0


# Nothing listens on port 1: every cache call fails at once, pages and counters alike.
REDIS_DOWN = {
    "BACKEND": "clinic.pagecache.backend.FailOpenRedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
}


def test_requests_are_accepted_while_redis_is_down(client, settings, practice):
    settings.CACHES = {"default": REDIS_DOWN, "ratelimit": REDIS_DOWN}
    form = client.get("/contact/")
    response = client.post("/contact/", contact_message_data())
    assert form.status_code == 200
    assert (response.status_code, response["Location"]) == (303, "/contact/received/")
    assert ContactMessage.objects.count() == 1


def test_with_redis_down_and_fail_closed_the_limit_refuses(client, settings, practice):
    settings.RATELIMIT_FAIL_OPEN = False
    settings.CACHES = {"default": REDIS_DOWN, "ratelimit": REDIS_DOWN}
    response = client.post("/contact/", contact_message_data())
    assert response.status_code == 429
    assert ContactMessage.objects.count() == 0
