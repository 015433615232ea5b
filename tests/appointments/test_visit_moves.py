"""“Choose another time” from the link in a visit's emails: online booking's open times, the
move itself (same calendar event, SEQUENCE + 1), its emails, its limits and bad input."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.models import Notification, Visit, VisitChange
from appointments.services.moves import MAX_MOVES_BY_LINK
from tests.factories import make_practitioner, make_visit
from tests.support.calendar_apps import read_with_icaljs
from tests.support.mail import calendar_parts
from tests.support.online_visits import (
    a_monday,
    at,
    book,
    make_doctor,
    make_follow_up,
    open_for_online_booking,
)

pytestmark = pytest.mark.django_db

MONDAY = a_monday()
TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def clinic(practice, settings):
    settings.SITE_URL = "https://www.kennis.example"
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    open_for_online_booking(practice)
    doctor = make_doctor()
    follow_up = make_follow_up()
    visit = book(
        at(TUESDAY, 10), practitioner=doctor, visit_type=follow_up, name="Jane Doe"
    )
    return {"doctor": doctor, "follow_up": follow_up, "visit": visit}


def key(practitioner, starts_at):
    return f"{practitioner.pk}@{starts_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}"


def link_token(visit):
    """The token of the patient's link: one per visit object (a new one is signed each second)."""
    if not hasattr(visit, "link_token"):
        visit.link_token = visit.cancel_token
    return visit.link_token


def manage_url(visit):
    return reverse("appointments:visit_cancel", args=[link_token(visit)])


def move_url(visit):
    return reverse("appointments:visit_move", args=[link_token(visit)])


def unchanged(visit):
    """The visit as the database has it: its time, SEQUENCE and status."""
    fresh = Visit.objects.get(pk=visit.pk)
    return (fresh.starts_at, fresh.sequence, fresh.status)


def test_the_patient_moves_their_visit_to_a_time_they_choose(
    clinic, client, mailoutbox
):
    visit, doctor = clinic["visit"], clinic["doctor"]
    new_time = at(MONDAY, 14)

    manage = client.get(manage_url(visit)).content.decode()
    page = client.get(move_url(visit), {"from": MONDAY.isoformat()})
    response = client.post(
        move_url(visit),
        {"time": key(doctor, new_time), "from": MONDAY.isoformat()},
        follow=True,
    )

    assert f'href="{move_url(visit)}"' in manage
    body = page.content.decode()
    assert page.status_code == 200
    assert f'value="{key(doctor, new_time)}"' in body
    # Grouped by day, in Boston time; the visit's own time is not offered to it.
    assert "<legend>Monday, " in body and "2:00 PM" in body
    assert f'value="{key(doctor, at(TUESDAY, 10))}"' not in body
    assert response.redirect_chain == [(manage_url(visit), 303)]
    assert "Your visit has moved to Monday" in response.content.decode()
    moved = Visit.objects.get(pk=visit.pk)
    assert (moved.starts_at, moved.uid, moved.sequence) == (new_time, visit.uid, 1)
    assert list(
        VisitChange.objects.filter(visit=visit, action="rescheduled").values_list(
            "from_starts_at", "to_starts_at", "changed_by"
        )
    ) == [(at(TUESDAY, 10), new_time, None)]

    tasks.deliver_due()
    # The unsent confirmation of the old time is dropped; the move's email replaces it.
    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert sorted(by_recipient) == ["frontdesk@example.com", "jane@example.com"]
    patients = by_recipient["jane@example.com"]
    assert patients.subject == f"Your visit has moved ({visit.reference})"
    [ics] = calendar_parts(patients)
    calendar_app = read_with_icaljs(ics["text"].encode())
    assert (
        ics["method"],
        calendar_app["uid"],
        calendar_app["sequence"],
        calendar_app["start"],
    ) == (
        "REQUEST",
        f"{visit.uid}@www.kennis.example",
        1,
        f"{new_time.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%S.000Z}",
    )
    desk = by_recipient["frontdesk@example.com"]
    assert desk.subject == f"Visit moved online ({visit.reference})"
    assert f"https://www.kennis.example{visit.get_admin_url()}" in desk.body
    # The phone in every form a person might write it (digits alone could be in a reference).
    for patient_data in ["Jane", "Doe", "jane@example.com", "5550123", "555-0123"]:
        assert patient_data not in desk.subject + desk.body


def test_the_old_link_still_works_for_the_moved_visit(clinic, client):
    visit, doctor = clinic["visit"], clinic["doctor"]
    old_link = manage_url(visit)
    client.post(move_url(visit), {"time": key(doctor, at(MONDAY, 14))})

    page = client.get(old_link)

    assert page.status_code == 200
    assert "Monday, " in page.content.decode()
    assert "2:00 p.m. to 2:30 p.m." in page.content.decode()


def test_a_visit_moves_at_most_twice_by_link(clinic, client):
    visit, doctor = clinic["visit"], clinic["doctor"]
    for hour in range(11, 11 + MAX_MOVES_BY_LINK):
        response = client.post(move_url(visit), {"time": key(doctor, at(MONDAY, hour))})
        assert response.status_code == 303
    before = unchanged(visit)

    page = client.get(move_url(visit))
    again = client.post(move_url(visit), {"time": key(doctor, at(MONDAY, 15))})

    assert (page.status_code, again.status_code) == (403, 403)
    assert "moved this visit online as often as we allow" in again.content.decode()
    assert "(617) 720-2329" in again.content.decode()
    assert unchanged(visit) == before
    manage = client.get(manage_url(visit)).content.decode()
    assert f'href="{move_url(visit)}"' not in manage


def test_staff_moves_do_not_count_towards_the_patients_limit(clinic, client):
    from appointments.services.schedule import reschedule_visit
    from tests.factories import make_staff_user

    visit, doctor = clinic["visit"], clinic["doctor"]
    for hour in (11, 12, 13):
        reschedule_visit(visit=visit, starts_at=at(MONDAY, hour), by=make_staff_user())

    response = client.post(move_url(visit), {"time": key(doctor, at(MONDAY, 15))})

    assert response.status_code == 303
    assert unchanged(visit)[0] == at(MONDAY, 15)


def test_inside_the_late_cancel_window_nothing_moves(clinic, client, practice):
    visit, doctor = clinic["visit"], clinic["doctor"]
    hours_left = int((visit.starts_at - timezone.now()).total_seconds() // 3600)
    practice.late_cancel_hours = hours_left + 1
    practice.save()
    before = unchanged(visit)

    page = client.get(move_url(visit))
    response = client.post(move_url(visit), {"time": key(doctor, at(MONDAY, 14))})

    assert (page.status_code, response.status_code) == (403, 403)
    assert "can no longer be moved online. Nothing has changed." in (
        response.content.decode()
    )
    assert unchanged(visit) == before
    assert Notification.objects.filter(kind="move_notice").count() == 0


def test_a_time_taken_meanwhile_says_so_and_offers_the_nearest_others(clinic, client):
    visit, doctor, follow_up = clinic["visit"], clinic["doctor"], clinic["follow_up"]
    wanted = at(MONDAY, 14)
    page = client.get(move_url(visit), {"from": MONDAY.isoformat()}).content.decode()
    assert f'value="{key(doctor, wanted)}"' in page
    # Someone books that time between the page and the patient's click.
    book(wanted, practitioner=doctor, visit_type=follow_up, name="Sam Smith")
    before = unchanged(visit)

    response = client.post(
        move_url(visit), {"time": key(doctor, wanted), "from": MONDAY.isoformat()}
    )

    body = response.content.decode()
    assert response.status_code == 409
    assert "That time was just taken" in body
    offered = re.findall(r'name="time" value="([^"]+)"', body)
    assert offered == [
        key(doctor, at(MONDAY, hour, minute))
        for hour, minute in [(12, 30), (13, 0), (13, 30), (14, 30), (15, 0), (15, 30)]
    ]
    assert unchanged(visit) == before


def test_the_constraint_has_the_last_word_when_the_form_saw_the_time_free(clinic):
    """The form and the move are two steps: a booking between them loses nothing."""
    from appointments.services.moves import MoveOutcome, move_visit_by_patient

    visit, doctor, follow_up = clinic["visit"], clinic["doctor"], clinic["follow_up"]
    book(at(MONDAY, 14), practitioner=doctor, visit_type=follow_up, name="Sam Smith")
    before = unchanged(visit)

    outcome = move_visit_by_patient(visit=visit, starts_at=at(MONDAY, 14))

    assert outcome == MoveOutcome.TAKEN
    assert unchanged(visit) == before


@pytest.mark.parametrize(
    "posted",
    [
        {},
        {"time": ""},
        {"time": "not-a-time"},
        {"time": "x" * 500},
        {"time": "99@2030-01-01T15:00:00Z"},
        # A Sunday night, when the practice is closed.
        {"time": "SUNDAY"},
        # Half past the hour: not one of the times offered (a visit apart from opening).
        {"time": "HALF"},
        {"time": "PAST"},
        {"time": "\x00"},
    ],
)
def test_a_forged_or_stale_time_is_refused_and_nothing_moves(clinic, client, posted):
    visit, doctor = clinic["visit"], clinic["doctor"]
    sunday = MONDAY - datetime.timedelta(days=1)
    posted = {
        name: {
            "SUNDAY": key(doctor, at(sunday, 3)),
            "HALF": key(doctor, at(MONDAY, 9, 10)),
            "PAST": key(doctor, timezone.now() - datetime.timedelta(days=1)),
        }.get(value, value)
        for name, value in posted.items()
    }
    before = unchanged(visit)

    response = client.post(move_url(visit), posted)

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem with what you sent" in body
    assert (
        "Choose one of the times below." in body or "We cannot offer that time" in body
    )
    assert unchanged(visit) == before


def test_another_practitioners_time_is_refused(clinic, client):
    visit = clinic["visit"]
    other = make_practitioner()
    before = unchanged(visit)

    response = client.post(move_url(visit), {"time": key(other, at(MONDAY, 14))})

    assert response.status_code == 400
    assert unchanged(visit) == before


@pytest.mark.parametrize("value", ["yesterday", "2026-13-40", "9" * 50])
def test_a_bad_date_in_the_query_string_is_a_400_with_real_times(clinic, client, value):
    response = client.get(move_url(clinic["visit"]), {"from": value})

    assert response.status_code == 400
    assert "That date is not one we can show" in response.content.decode()
    assert 'name="time"' in response.content.decode()


def test_a_changed_link_moves_nothing(clinic, client):
    visit, doctor = clinic["visit"], clinic["doctor"]
    token = visit.cancel_token
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    before = unchanged(visit)

    for url in [
        reverse("appointments:visit_move", args=[forged]),
        reverse("appointments:visit_move", args=["not-a-token"]),
    ]:
        get = client.get(url)
        post = client.post(url, {"time": key(doctor, at(MONDAY, 14))})
        assert (get.status_code, post.status_code) == (400, 400)
        assert "This link does not work" in post.content.decode()
    assert unchanged(visit) == before


def test_cancelled_or_begun_visits_cannot_be_moved(clinic, client):
    visit, doctor = clinic["visit"], clinic["doctor"]
    begun = make_visit(
        practitioner=doctor,
        visit_type=clinic["follow_up"],
        starts_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    client.post(manage_url(visit), {"reason": ""})

    for moved in (visit, begun):
        response = client.post(move_url(moved), {"time": key(doctor, at(MONDAY, 14))})
        assert response.status_code == 410
        assert "Nothing has changed" in response.content.decode()
    assert Visit.objects.get(pk=visit.pk).starts_at == at(TUESDAY, 10)


def test_without_online_booking_the_page_asks_the_patient_to_call(
    clinic, client, practice
):
    practice.online_booking = "off"
    practice.save()
    visit = clinic["visit"]

    manage = client.get(manage_url(visit)).content.decode()
    response = client.get(move_url(visit))

    assert f'href="{move_url(visit)}"' not in manage
    assert "To change the time, please call us." in manage
    assert response.status_code == 403
    assert "This visit cannot be moved online" in response.content.decode()


def test_the_pages_step_through_later_dates(clinic, client):
    visit = clinic["visit"]
    first = client.get(move_url(visit)).content.decode()
    later = re.search(r'href="\?from=([0-9-]+)">Later dates', first).group(1)

    second = client.get(move_url(visit), {"from": later}).content.decode()

    assert later == (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    assert 'href="?from=' in second and "Earlier dates" in second


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2999-01-01"])
def test_a_date_far_out_of_range_shows_a_page_not_an_error(clinic, client, value):
    response = client.get(move_url(clinic["visit"]), {"from": value})

    assert response.status_code == 200
    assert "We have no free times from" in response.content.decode() or (
        'name="time"' in response.content.decode()
    )


def test_a_held_time_is_confirmed_before_it_can_be_moved(clinic, client):
    visit, doctor = clinic["visit"], clinic["doctor"]
    Visit.objects.filter(pk=visit.pk).update(status="held")
    before = unchanged(visit)

    manage = client.get(manage_url(visit)).content.decode()
    response = client.post(move_url(visit), {"time": key(doctor, at(MONDAY, 14))})

    assert "It is not booked yet: our front desk will confirm it" in manage
    assert "To choose a different time before then, please call us." in manage
    assert f'href="{move_url(visit)}"' not in manage
    assert response.status_code == 403
    assert "Your time is not confirmed yet" in response.content.decode()
    assert unchanged(visit) == before


def test_a_replayed_move_changes_nothing_more(clinic, client, mailoutbox):
    visit, doctor = clinic["visit"], clinic["doctor"]
    posted = {"time": key(doctor, at(MONDAY, 14))}
    assert client.post(move_url(visit), posted).status_code == 303
    after_first = unchanged(visit)

    replay = client.post(move_url(visit), posted)

    assert replay.status_code == 400
    assert unchanged(visit) == after_first
    assert Notification.objects.filter(kind="move_notice").count() == 1
