"""Online booking under real load: two gunicorn app servers, real PostgreSQL and Redis.

Twenty patients post the same open time at once, through both servers: the exclusion
constraint lets exactly one hold it; the others are told it was just taken, no server error.
"""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from appointments.models import AppointmentRequest, Patient, Visit, VisitStatus
from appointments.services import open_times as engine
from clinic.models import OnlineBooking
from tests.factories import (
    appointment_request_data,
    make_opening_hours,
    make_practitioner,
    make_visit_type,
)
from tests.support.processes import FormClient, Gunicorn, process_env

pytestmark = pytest.mark.django_db(transaction=True)

DETAILS = "/appointments/book/details/"
TIMES = "/appointments/book/times/"
PATIENTS = 20


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two app servers sharing the database and Redis, limits out of the way of 20 posts
    from one address (the test machine)."""
    with django_db_blocker.unblock():
        env = process_env(
            REQUEST_MIN_FILL_SECONDS=0,
            REQUEST_RATE_LIMIT="1000/m",
            REQUEST_POST_RATE_LIMIT="1000/m",
            ONLINE_HOLD_RATE_LIMIT="1000/m",
            EMAIL_URL="consolemail://",
        )
    logs = tmp_path_factory.mktemp("online-booking-servers")
    with (
        Gunicorn(env=env, workers=2, log=logs / "first.log") as first,
        Gunicorn(env=env, workers=2, log=logs / "second.log") as second,
    ):
        yield [first, second]


@pytest.fixture
def bookable(practice):
    practice.online_booking = OnlineBooking.HOLD
    practice.hold_hours = 24
    practice.online_booking_horizon_days = 60
    practice.save()
    make_opening_hours(practice, opens="09:00", closes="12:00")
    make_practitioner(first_name="Jeffrey", last_name="Kennis")
    return make_visit_type(
        name="New patient exam", duration_minutes=45, is_bookable_online=True
    )


def test_twenty_patients_posting_one_time_at_once_get_one_hold(servers, bookable):
    [time] = engine.open_times(
        visit_type=bookable,
        first_day=timezone.localdate() + datetime.timedelta(days=7),
    )[:1]
    query = urlencode(
        {"patient_type": "new", "visit_type": bookable.pk, "time": time.key}
    )
    start = threading.Barrier(PATIENTS)

    def patient(number):
        server = servers[number % 2]
        browser = FormClient()
        status, _, page = browser.request(f"{server.url}{DETAILS}?{query}")
        assert status == 200, page[:300]
        hidden = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrfmiddlewaretoken", "form_stamp")
        }
        data = appointment_request_data(
            **hidden,
            visit_type=bookable.pk,
            time=time.key,
            name=f"Patient Number{number}",
            phone=f"(617) 555-{number:04d}",
            email=f"patient{number}@example.com",
        )
        start.wait()
        status, headers, body = browser.request(server.url + DETAILS, data)
        return status, headers.get("Location"), body, data["name"]

    with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
        results = list(pool.map(patient, range(PATIENTS)))

    statuses = sorted(status for status, *_ in results)
    assert statuses == [303] + [409] * (PATIENTS - 1)
    [winner] = [name for status, _, _, name in results if status == 303]
    for status, _, body, name in results:
        if status == 409:
            assert "that time was just taken" in body
            assert f'value="{name}"' in body  # what they typed is kept
            assert time.key not in re.findall(r'name="time" value="([^"]+)"', body)
            assert re.findall(r'name="time" value="([^"]+)"', body)
    [visit] = Visit.objects.all()
    assert (visit.status, visit.starts_at, visit.patient.name) == (
        VisitStatus.HELD,
        time.starts_at,
        winner,
    )
    assert AppointmentRequest.objects.count() == 1
    assert list(Patient.objects.values_list("name", flat=True)) == [winner]

    times_query = urlencode({"patient_type": "new", "visit_type": bookable.pk})
    for server in servers:
        status, _, page = FormClient().request(f"{server.url}{TIMES}?{times_query}")
        assert status == 200
        assert time.key not in page
