"""The requests pipeline with real processes: gunicorn app servers, the worker, an SMTP sink."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.utils import timezone

from appointments.models import AppointmentRequest, Notification
from appointments.tasks import schedule_sweep
from tests.factories import appointment_request_data, make_appointment_request
from tests.support.processes import FormClient, wait_for
from tests.support.ratelimits import start_well_inside_the_rate_limit_window

pytestmark = pytest.mark.django_db(transaction=True)

FORM_URL = "/appointments/request/"
RECEIVED_URL = "/appointments/request/received/"


def all_sent(count):
    def check():
        statuses = list(Notification.objects.values_list("status", flat=True))
        return len(statuses) == count and set(statuses) == {"sent"}

    return check


def mail_summary(messages):
    return sorted((message["To"], message["Subject"]) for message in messages)


def test_worker_process_delivers_staff_and_patient_mail_once(
    client, practice, front_desk, worker, smtp_sink
):
    smtp_sink.clear()
    client.post(FORM_URL, appointment_request_data(note="Numb toes"))
    reference = AppointmentRequest.objects.get().reference
    wait_for(all_sent(2), what="both notifications sent")
    assert mail_summary(smtp_sink.messages()) == [
        ("frontdesk@example.com", f"New appointment request {reference}"),
        ("jane@example.com", f"We received your appointment request ({reference})"),
    ]
    log = worker.log.read_text()
    assert "Jane" not in log and "Numb" not in log and "jane@" not in log


def test_mail_server_down_then_up_delivers_everything_exactly_once(
    client, practice, front_desk, worker, smtp_sink
):
    smtp_sink.clear()
    smtp_sink.stop()
    try:
        for number in range(3):
            response = client.post(
                FORM_URL,
                appointment_request_data(
                    name=f"Patient {number}", email=f"patient{number}@example.com"
                ),
            )
            assert response.status_code == 303
        wait_for(
            lambda: (
                Notification.objects.filter(status="pending", attempts__gte=1)
                .exclude(last_error="")
                .count()
                == 6
            ),
            what="every send to fail while the mail server is down",
        )
        failed = Notification.objects.first()
        assert failed.last_error.startswith("ConnectionRefusedError")
    finally:
        smtp_sink.start()
    wait_for(all_sent(6), timeout=60, what="delivery after the mail server returns")
    # Give any stray duplicate a chance to arrive before counting.
    wait_for(lambda: True, timeout=2)
    references = sorted(AppointmentRequest.objects.values_list("reference", flat=True))
    expected = sorted(
        [("frontdesk@example.com", f"New appointment request {r}") for r in references]
        + [
            (
                f"patient{AppointmentRequest.objects.get(reference=r).name[-1]}@example.com",
                f"We received your appointment request ({r})",
            )
            for r in references
        ]
    )
    assert mail_summary(smtp_sink.messages()) == expected


def test_delivery_left_behind_by_a_crashed_worker_is_recovered(
    worker, smtp_sink, front_desk, settings
):
    settings.OUTBOX_SWEEP_SECONDS = 1
    smtp_sink.clear()
    appointment_request = make_appointment_request()
    Notification.objects.create(
        appointment_request=appointment_request,
        kind="staff_new_request",
        recipient="frontdesk@example.com",
        status="sending",
        attempts=1,
        claimed_by="crashed-host:1",
        locked_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    schedule_sweep()
    wait_for(all_sent(1), what="the sweep to take over the abandoned delivery")
    assert mail_summary(smtp_sink.messages()) == [
        (
            "frontdesk@example.com",
            f"New appointment request {appointment_request.reference}",
        )
    ]


def test_deliver_notifications_command_sends_what_is_due(mailoutbox, front_desk):
    appointment_request = make_appointment_request(email="")
    Notification.objects.create(
        appointment_request=appointment_request,
        kind="staff_new_request",
        recipient="frontdesk@example.com",
    )
    call_command("deliver_notifications", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [message.to for message in mailoutbox] == [["frontdesk@example.com"]]


def test_twenty_concurrent_posts_of_one_token_create_one_request(app_servers):
    browser = FormClient()
    hidden = browser.open_form(app_servers[0].url + FORM_URL)
    data = appointment_request_data(**hidden)
    start = threading.Barrier(20)

    def post(number):
        # Each copy shares the form's cookies (like one browser retrying) but keeps the
        # session cookie its own response sets, to read its own confirmation page.
        client = browser.copy()
        server = app_servers[number % 2]
        start.wait()
        status, headers, _ = client.request(server.url + FORM_URL, data)
        _, _, page = client.request(server.url + RECEIVED_URL)
        reference = re.search(r'<strong class="reference">([^<]+)<', page)
        return status, headers.get("Location"), reference and reference.group(1)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))
    stored = list(AppointmentRequest.objects.values_list("reference", flat=True))
    assert len(stored) == 1
    assert results == [(303, RECEIVED_URL, stored[0])] * 20
    assert Notification.objects.count() == 2  # front desk + patient, once each


def test_rate_limit_holds_across_two_app_servers(app_servers, practice):
    # Seven forms through two servers take a while on a loaded machine.
    start_well_inside_the_rate_limit_window("127.0.0.1", margin=90)
    statuses = []
    for number in range(7):
        server = app_servers[number % 2]
        browser = FormClient()
        hidden = browser.open_form(server.url + FORM_URL)
        status, headers, body = browser.request(
            server.url + FORM_URL, appointment_request_data(**hidden)
        )
        statuses.append(status)
    assert statuses == [303] * 5 + [429, 429]
    assert "Too many requests from your connection" in body
    assert 'href="tel:+16177202329"' in body
    assert AppointmentRequest.objects.count() == 5


@pytest.mark.slow
def test_forty_clients_for_thirty_seconds_lose_and_duplicate_nothing(
    django_db_blocker, tmp_path
):
    """Load run: every 303 has its row, no duplicates, no 5xx (figures printed)."""
    import time

    from tests.support.processes import Gunicorn, process_env

    env = process_env(
        REQUEST_MIN_FILL_SECONDS=0,
        REQUEST_RATE_LIMIT="1000000/m",
        REQUEST_POST_RATE_LIMIT="1000000/m",
        EMAIL_URL="consolemail://",
    )
    servers = [
        Gunicorn(env=env, workers=2, log=tmp_path / f"{name}.log").start()
        for name in ("first", "second")
    ]
    deadline = time.monotonic() + 30
    latencies = []

    def client_loop(number):
        outcomes = []
        while time.monotonic() < deadline:
            browser = FormClient()
            server = servers[number % 2]
            hidden = browser.open_form(server.url + FORM_URL)
            started = time.monotonic()
            status, _, _ = browser.request(
                server.url + FORM_URL, appointment_request_data(**hidden)
            )
            latencies.append(time.monotonic() - started)
            outcomes.append(status)
        return outcomes

    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            statuses = [
                s for outcome in pool.map(client_loop, range(40)) for s in outcome
            ]
    finally:
        for server in servers:
            server.stop()
    latencies.sort()
    print(
        f"\n{len(statuses)} posts, p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms"
    )
    assert set(statuses) == {303}
    assert AppointmentRequest.objects.count() == len(statuses)
    assert AppointmentRequest.objects.values(
        "submission_token"
    ).distinct().count() == len(statuses)
