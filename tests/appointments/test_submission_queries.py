"""A submission's cost in SQL: at most 8 queries, its outbox rows and task included.

Run as production runs it (autocommit, so transaction=True): in a test's wrapping transaction
every BEGIN/COMMIT would be a savepoint instead, and the sessions' store would use one too.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from appointments.models import AppointmentRequest, Notification, Patient
from appointments.tasks import deliver_notification
from tests.factories import appointment_request_data
from tests.support.forms import hidden_fields

FORM_URL = "/appointments/request/"
MOST_QUERIES = 8


def post_from_a_fresh_browser(**fields):
    browser = Client(enforce_csrf_checks=True)
    hidden = hidden_fields(browser.get(FORM_URL).content.decode())
    with CaptureQueriesContext(connection) as queries:
        response = browser.post(
            FORM_URL, {**appointment_request_data(**fields), **hidden}
        )
    response.browser = browser
    return response, [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_new_patients_request_takes_at_most_8_queries(practice, front_desk, settings):
    settings.REQUEST_MIN_FILL_SECONDS = 0
    settings.RATELIMIT_ENABLE = True
    response, queries = post_from_a_fresh_browser(email="jane@example.com")
    assert response.status_code == 303, response.content[:500]
    assert len(queries) <= MOST_QUERIES, "\n".join(queries)
    # Everything it should have stored, committed: the patient, the request, both emails in
    # the outbox, and one task to deliver them.
    request = AppointmentRequest.objects.get()
    assert (request.status, request.patient) == ("new", Patient.objects.get())
    notifications = sorted(Notification.objects.values_list("pk", flat=True))
    assert len(notifications) == 2
    task = DBTaskResult.objects.get(task_path=deliver_notification.module_path)
    assert (task.status, sorted(task.args_kwargs["args"])) == ("READY", notifications)
    # The confirmation page finds its reference in the session the POST created.
    confirmation = response.browser.get(response["Location"])
    assert request.reference in confirmation.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_returning_patients_request_takes_at_most_8_queries(
    practice, front_desk, settings
):
    settings.REQUEST_MIN_FILL_SECONDS = 0
    post_from_a_fresh_browser(email="jane@example.com")
    response, queries = post_from_a_fresh_browser(
        email="jane@example.com", note="Back again"
    )
    assert response.status_code == 303
    assert len(queries) <= MOST_QUERIES, "\n".join(queries)
    assert Patient.objects.count() == 1
    assert AppointmentRequest.objects.count() == 2
