"""The visit's link pages with real processes: two gunicorn app servers, the worker, an SMTP
sink. A patient choosing another time and a patient taking the same time from the
cancellation list race; a cancellation reaches the list through the worker."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import resolve, reverse

from appointments.models import Visit, WaitlistEntry, WaitlistOffer
from tests.support.forms import hidden_value
from tests.support.online_visits import (
    a_monday,
    at,
    book,
    make_doctor,
    make_follow_up,
    open_for_online_booking,
)
from tests.support.processes import FormClient, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = a_monday()
THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)
ROUNDS = 6


@pytest.fixture
def clinic(practice):
    open_for_online_booking(practice)
    return {"doctor": make_doctor(), "follow_up": make_follow_up()}


def key(practitioner, starts_at):
    return f"{practitioner.pk}@{starts_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}"


def patient(clinic, starts_at, number):
    return book(
        starts_at,
        practitioner=clinic["doctor"],
        visit_type=clinic["follow_up"],
        name=f"Patient Number{number}",
        email=f"patient{number}@example.com",
    )


def ready_to_post(url):
    """A browser that has opened the page: its cookies and the form's CSRF token."""
    browser = FormClient()
    status, _, body = browser.request(url)
    assert status == 200, body[:300]
    return browser, {"csrfmiddlewaretoken": hidden_value(body, "csrfmiddlewaretoken")}


def test_a_move_and_a_list_offer_racing_for_one_time_have_one_winner(
    clinic, app_servers
):
    doctor = clinic["doctor"]
    rounds = []
    for number in range(ROUNDS):
        time = at(MONDAY, 9 + number)
        waiting = patient(clinic, at(FRIDAY, 9 + number), 2 * number)
        mover = patient(clinic, at(THURSDAY, 9 + number), 2 * number + 1)
        entry = WaitlistEntry.objects.create(
            visit=waiting, earliest_day=MONDAY, latest_day=FRIDAY
        )
        offer = WaitlistOffer.objects.create(
            entry=entry, practitioner=doctor, starts_at=time
        )
        accept_url = reverse("appointments:waitlist_offer", args=[offer.token])
        move_url = reverse("appointments:visit_move", args=[mover.cancel_token])
        rounds.append((time, waiting, mover, accept_url, move_url))

    def race(number):
        time, _, _, accept_url, move_url = rounds[number]
        # One patient on each app server, each with the page open, pressing at once.
        accepting = ready_to_post(app_servers[0].url + accept_url)
        moving = ready_to_post(app_servers[1].url + move_url)
        start = threading.Barrier(2)

        def press(browser, url, data):
            start.wait()
            status, _, body = browser.request(url, data)
            return status, body

        with ThreadPoolExecutor(max_workers=2) as pool:
            accepted = pool.submit(
                press, accepting[0], app_servers[0].url + accept_url, accepting[1]
            )
            moved = pool.submit(
                press,
                moving[0],
                app_servers[1].url + move_url,
                {**moving[1], "time": key(doctor, time)},
            )
            return accepted.result(), moved.result()

    results = [race(number) for number in range(ROUNDS)]

    for (time, waiting, mover, _, _), (accepted, moved) in zip(
        rounds, results, strict=True
    ):
        statuses = (accepted[0], moved[0])
        assert sorted(statuses) == [303, 409], statuses
        at_the_time = list(
            Visit.objects.filter(starts_at=time).values_list("pk", flat=True)
        )
        winner = waiting if accepted[0] == 303 else mover
        assert at_the_time == [winner.pk]
        loser, page = (mover, moved[1]) if winner == waiting else (waiting, accepted[1])
        original = at(THURSDAY if loser == mover else FRIDAY, time.hour)
        assert Visit.objects.get(pk=loser.pk).starts_at == original
        assert (
            "That time was just taken" in page
            if loser == mover
            else "Sorry, that time has gone" in page
        )


def test_patients_accepting_one_offered_time_at_once_leave_one_winner(
    clinic, app_servers
):
    doctor, time = clinic["doctor"], at(MONDAY, 16)
    links = []
    for number in range(5):
        entry = WaitlistEntry.objects.create(
            visit=patient(clinic, at(FRIDAY, 9 + number), 20 + number),
            earliest_day=MONDAY,
            latest_day=FRIDAY,
        )
        offer = WaitlistOffer.objects.create(
            entry=entry, practitioner=doctor, starts_at=time
        )
        server = app_servers[number % 2]
        links.append(
            server.url + reverse("appointments:waitlist_offer", args=[offer.token])
        )
    ready = [ready_to_post(link) for link in links]
    start = threading.Barrier(len(links))

    def press(number):
        browser, data = ready[number]
        start.wait()
        status, _, body = browser.request(links[number], data)
        return status, body

    with ThreadPoolExecutor(max_workers=len(links)) as pool:
        results = list(pool.map(press, range(len(links))))

    assert sorted(status for status, _ in results) == [303, 409, 409, 409, 409]
    assert all(
        "Sorry, that time has gone" in body for status, body in results if status == 409
    )
    assert Visit.objects.filter(starts_at=time).count() == 1
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == [
        "accepted",
        "gone",
        "gone",
        "gone",
        "gone",
    ]


def test_a_cancellation_reaches_the_list_through_the_worker(
    clinic, app_servers, worker, smtp_sink
):
    smtp_sink.clear()
    freed = patient(clinic, at(MONDAY, 10), 1)
    waiting = patient(clinic, at(FRIDAY, 10), 2)
    WaitlistEntry.objects.create(visit=waiting, earliest_day=MONDAY, latest_day=FRIDAY)
    cancel_url = app_servers[0].url + reverse(
        "appointments:visit_cancel", args=[freed.cancel_token]
    )
    browser, data = ready_to_post(cancel_url)

    status, _, _ = browser.request(cancel_url, {**data, "reason": ""})

    assert status == 303

    def offer_email():
        return [
            message
            for message in smtp_sink.messages()
            if message["Subject"] == f"An earlier time is free ({waiting.reference})"
        ]

    [email] = wait_for(offer_email, timeout=60, what="the offer email")
    assert email["X-RcptTo"] == "patient2@example.com"
    body = email.get_payload(decode=True).decode()
    link = re.search(r"http://127\.0\.0\.1(/\S+)", body).group(1)
    # The link opens this offer's page (its token is signed when the email is written).
    match = resolve(link)
    assert match.url_name == "waitlist_offer"
    assert WaitlistOffer.objects.for_token(match.kwargs["token"]) == (
        WaitlistOffer.objects.get(entry__visit=waiting)
    )
