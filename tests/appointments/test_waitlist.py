"""The cancellation list: joining from the visit's page, offers when a time frees up (any
cancellation or move), the first to accept gets it, entries ending, and the staff side."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.models import (
    Notification,
    Visit,
    VisitStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from appointments.outbox.holds import expire_due_holds
from appointments.outbox.waitlist_offers import OFFERS_PER_TIME, end_passed_entries
from appointments.services.online_booking import decline_hold
from appointments.services.schedule import cancel_visit, cancel_visit_by_patient
from tests.factories import (
    make_front_desk_user,
    make_practitioner,
    make_staff_user,
)
from tests.support.calendar_apps import read_with_icaljs
from tests.support.mail import calendar_parts
from tests.support.online_visits import (
    a_monday,
    at,
    book,
    make_doctor,
    make_follow_up,
    open_for_online_booking,
    run_queued,
)

pytestmark = pytest.mark.django_db

MONDAY = a_monday()
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
FRIDAY = MONDAY + datetime.timedelta(days=4)


@pytest.fixture
def clinic(practice, settings):
    settings.SITE_URL = "https://www.kennis.example"
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    open_for_online_booking(practice)
    return {"doctor": make_doctor(), "follow_up": make_follow_up()}


@pytest.fixture
def visit_at(clinic):
    def make(starts_at, *, number=1, **kwargs):
        kwargs.setdefault("practitioner", clinic["doctor"])
        kwargs.setdefault("visit_type", clinic["follow_up"])
        return book(
            starts_at,
            name=f"Patient Number{number}",
            email=f"patient{number}@example.com",
            phone=f"+1617555{number:04d}",
            **kwargs,
        )

    return make


def waitlist_url(visit):
    return reverse("appointments:visit_waitlist", args=[link_token(visit)])


def link_token(visit):
    """The token of the patient's link: one per visit object (a new one is signed each second)."""
    if not hasattr(visit, "link_token"):
        visit.link_token = visit.cancel_token
    return visit.link_token


def manage_url(visit):
    return reverse("appointments:visit_cancel", args=[link_token(visit)])


def join(visit, first=None, last=None):
    return WaitlistEntry.objects.create(
        visit=visit,
        earliest_day=first or timezone.localdate(),
        latest_day=last or timezone.localdate(visit.starts_at),
    )


def free_the_time(visit, capture):
    """The patient cancels with their link; the offer task runs as the worker would."""
    with capture(execute=True):
        cancel_visit_by_patient(visit=visit)
    return run_queued(tasks.offer_freed_time)


def offer_links(mailoutbox):
    tasks.deliver_due()
    return {
        message.to[0]: re.search(
            r"https://www\.kennis\.example(/\S+)", message.body
        ).group(1)
        for message in mailoutbox
        if message.subject.startswith("An earlier time is free")
    }


# Joining, changing, leaving ----------------------------------------------------------------


def test_the_patient_joins_the_list_from_their_visits_page(visit_at, client):
    visit = visit_at(at(FRIDAY, 15))

    manage = client.get(manage_url(visit)).content.decode()
    form = client.get(waitlist_url(visit))
    response = client.post(
        waitlist_url(visit),
        {"earliest_day": MONDAY.isoformat(), "latest_day": WEDNESDAY.isoformat()},
        follow=True,
    )

    assert f'href="{waitlist_url(visit)}"' in manage
    assert form.status_code == 200
    assert response.redirect_chain == [(manage_url(visit), 303)]
    body = response.content.decode()
    assert "You are on the cancellation list from Monday" in body
    assert "Change the days or leave the list" in body
    assert list(
        WaitlistEntry.objects.values_list(
            "visit", "earliest_day", "latest_day", "status"
        )
    ) == [(visit.pk, MONDAY, WEDNESDAY, "waiting")]


def test_asking_again_changes_the_days_and_keeps_the_place(visit_at, client):
    visit = visit_at(at(FRIDAY, 15))
    entry = join(visit, MONDAY, WEDNESDAY)

    client.post(
        waitlist_url(visit),
        {"earliest_day": MONDAY.isoformat(), "latest_day": FRIDAY.isoformat()},
    )

    assert list(
        WaitlistEntry.objects.values_list("pk", "created_at", "latest_day", "status")
    ) == [(entry.pk, entry.created_at, FRIDAY, "waiting")]


def test_the_patient_leaves_the_list(visit_at, client):
    visit = visit_at(at(FRIDAY, 15))
    join(visit)

    response = client.post(waitlist_url(visit), {"leave": "1"}, follow=True)

    assert "You are off the cancellation list" in response.content.decode()
    assert list(WaitlistEntry.objects.values_list("status", flat=True)) == ["withdrawn"]


@pytest.mark.parametrize(
    ("earliest", "latest", "message"),
    [
        ("PAST", "MONDAY", "This date has passed."),
        ("MONDAY", "AFTER", "Choose a day up to your visit"),
        ("WEDNESDAY", "MONDAY", "The last day comes before the first"),
        ("SATURDAY", "SUNDAY", "We are closed on every day you chose."),
        ("", "MONDAY", "Enter the first day you could come."),
        ("31/31/2031", "MONDAY", "Enter a date like 11/03/2026."),
        ("\x00", "x" * 5000, "Enter a date like 11/03/2026."),
    ],
)
def test_a_window_the_calendar_cannot_offer_is_refused(
    visit_at, client, earliest, latest, message
):
    visit = visit_at(at(FRIDAY, 15))
    days = {
        "PAST": timezone.localdate() - datetime.timedelta(days=1),
        "MONDAY": MONDAY,
        "WEDNESDAY": WEDNESDAY,
        "AFTER": FRIDAY + datetime.timedelta(days=1),
        "SATURDAY": MONDAY - datetime.timedelta(days=2),
        "SUNDAY": MONDAY - datetime.timedelta(days=1),
    }

    response = client.post(
        waitlist_url(visit),
        {
            "earliest_day": str(days.get(earliest, earliest)),
            "latest_day": str(days.get(latest, latest)),
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert WaitlistEntry.objects.count() == 0


def test_a_cancelled_visit_cannot_join(visit_at, client):
    visit = visit_at(at(FRIDAY, 15))
    cancel_visit_by_patient(visit=visit)

    response = client.post(
        waitlist_url(visit),
        {"earliest_day": MONDAY.isoformat(), "latest_day": WEDNESDAY.isoformat()},
    )

    assert response.status_code == 409
    assert WaitlistEntry.objects.count() == 0


# Offers ---------------------------------------------------------------------------------------


def test_a_freed_time_goes_to_matching_patients_in_the_order_they_asked(
    clinic, visit_at, django_capture_on_commit_callbacks, mailoutbox
):
    freed = visit_at(at(MONDAY, 10), number=1)
    # Waiting, in the order they asked: only some can take a Monday 10:00 of 30 minutes.
    first = visit_at(at(FRIDAY, 9), number=2)
    join(first, MONDAY, FRIDAY)
    not_that_day = visit_at(at(FRIDAY, 10), number=3)
    join(not_that_day, WEDNESDAY, FRIDAY)
    already_earlier = visit_at(at(MONDAY, 9), number=4)
    join(already_earlier, MONDAY, MONDAY)
    other_doctor = visit_at(at(FRIDAY, 11), number=5, practitioner=make_practitioner())
    join(other_doctor, MONDAY, FRIDAY)
    too_long = visit_at(
        at(FRIDAY, 12),
        number=6,
        visit_type=make_follow_up(name="Long exam", duration_minutes=60),
    )
    # Monday 10:30 is booked, so a 60-minute visit cannot start at 10:00.
    visit_at(at(MONDAY, 10, 30), number=7)
    join(too_long, MONDAY, FRIDAY)
    second = visit_at(at(FRIDAY, 13), number=8)
    join(second, MONDAY, FRIDAY)
    third = visit_at(at(FRIDAY, 14), number=9)
    join(third, MONDAY, FRIDAY)
    fourth = visit_at(at(FRIDAY, 15), number=10)
    join(fourth, MONDAY, FRIDAY)

    [offered] = free_the_time(freed, django_capture_on_commit_callbacks)

    assert offered == OFFERS_PER_TIME == 3
    assert list(
        WaitlistOffer.objects.order_by("entry__created_at").values_list(
            "entry__visit", "starts_at", "status"
        )
    ) == [(visit.pk, at(MONDAY, 10), "open") for visit in (first, second, third)]
    links = offer_links(mailoutbox)
    assert sorted(links) == [
        "patient2@example.com",
        "patient8@example.com",
        "patient9@example.com",
    ]
    [email] = [
        m
        for m in mailoutbox
        if m.to == ["patient2@example.com"] and "earlier" in m.subject
    ]
    assert email.subject == f"An earlier time is free ({first.reference})"
    assert "Monday" in email.body and "10:00 a.m. to 10:30 a.m." in email.body
    # Running the task again offers nothing twice.
    change = freed.changes.get(action="cancelled")
    assert tasks.offer_freed_time.call(change.pk) == 0


def test_a_staff_cancellation_and_a_move_free_times_too(
    clinic, visit_at, django_capture_on_commit_callbacks
):
    from appointments.services.schedule import reschedule_visit

    waiting = visit_at(at(FRIDAY, 15), number=2)
    join(waiting, MONDAY, FRIDAY)
    cancelled = visit_at(at(MONDAY, 10), number=1)
    moved = visit_at(at(MONDAY, 11), number=3)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_visit(visit=cancelled, by=make_staff_user())
        reschedule_visit(visit=moved, starts_at=at(FRIDAY, 16), by=make_staff_user())
    run_queued(tasks.offer_freed_time)

    assert sorted(
        WaitlistOffer.objects.filter(entry__visit=waiting).values_list(
            "starts_at", flat=True
        )
    ) == [at(MONDAY, 10), at(MONDAY, 11)]


@pytest.mark.parametrize("ending", ["declined by staff", "expired"])
def test_a_hold_that_ends_unconfirmed_frees_its_time_for_the_list(
    clinic, visit_at, ending, django_capture_on_commit_callbacks, mailoutbox
):
    waiting = visit_at(at(FRIDAY, 15), number=2)
    join(waiting, MONDAY, FRIDAY)
    hold = visit_at(at(MONDAY, 10), number=1)
    ends = timezone.now() + datetime.timedelta(hours=1)
    Visit.objects.filter(pk=hold.pk).update(
        status=VisitStatus.HELD, hold_expires_at=ends
    )
    hold.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        if ending == "expired":
            expire_due_holds(now=ends)
        else:
            decline_hold(visit=hold, by=make_staff_user())
    run_queued(tasks.offer_freed_time)

    assert list(
        WaitlistOffer.objects.filter(entry__visit=waiting).values_list(
            "starts_at", flat=True
        )
    ) == [at(MONDAY, 10)]
    assert set(offer_links(mailoutbox)) == {"patient2@example.com"}


def test_the_first_to_accept_gets_the_time_and_the_others_see_it_has_gone(
    clinic, visit_at, client, django_capture_on_commit_callbacks, mailoutbox
):
    freed = visit_at(at(MONDAY, 10), number=1)
    quick = visit_at(at(FRIDAY, 9), number=2)
    join(quick, MONDAY, FRIDAY)
    slow = visit_at(at(FRIDAY, 11), number=3)
    join(slow, MONDAY, FRIDAY)
    free_the_time(freed, django_capture_on_commit_callbacks)
    links = offer_links(mailoutbox)
    mailoutbox.clear()

    offer_page = client.get(links["patient2@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(links["patient2@example.com"], follow=True)
    gone_page = client.get(links["patient3@example.com"])
    too_late = client.post(links["patient3@example.com"])
    replay = client.post(links["patient2@example.com"])

    assert offer_page.status_code == 200
    assert "Move my visit to the earlier time" in offer_page.content.decode()
    assert "Your visit has moved to the earlier time" in accepted.content.decode()
    moved = Visit.objects.get(pk=quick.pk)
    assert (moved.starts_at, moved.uid, moved.sequence) == (
        at(MONDAY, 10),
        quick.uid,
        1,
    )
    assert WaitlistEntry.objects.get(visit=quick).status == WaitlistStatus.MOVED
    for response, status in [(gone_page, 410), (too_late, 409)]:
        assert response.status_code == status
        assert "Sorry, that time has gone" in response.content.decode()
        assert "You are still on the cancellation list" in response.content.decode()
    assert Visit.objects.get(pk=slow.pk).starts_at == at(FRIDAY, 11)
    assert replay.status_code == 409
    assert "Your visit has moved to the earlier time" in replay.content.decode()
    assert Visit.objects.get(pk=quick.pk).sequence == 1

    tasks.deliver_due()
    patients = [m for m in mailoutbox if m.to == ["patient2@example.com"]]
    [moved_email] = [
        m for m in patients if m.subject.startswith("Your visit has moved")
    ]
    calendar_app = read_with_icaljs(calendar_parts(moved_email)[0]["text"].encode())
    assert (calendar_app["uid"], calendar_app["sequence"]) == (
        f"{quick.uid}@www.kennis.example",
        1,
    )
    [desk] = [m for m in mailoutbox if m.to == ["frontdesk@example.com"]]
    assert desk.subject == f"Visit moved online ({quick.reference})"
    # The phone in every form a person might write it (digits alone could be in a reference).
    for patient_data in ["Patient", "Number", "patient2@", "5550002", "555-0002"]:
        assert patient_data not in desk.subject + desk.body
    # Patient 2's old Friday 9:00 is free now: the list is asked again (patient 3 is later).
    run_queued(tasks.offer_freed_time)
    assert list(
        WaitlistOffer.objects.filter(status="open").values_list(
            "entry__visit", "starts_at"
        )
    ) == [(slow.pk, at(FRIDAY, 9))]


def test_an_offer_taken_by_a_booking_meanwhile_has_gone(
    clinic, visit_at, client, django_capture_on_commit_callbacks, mailoutbox
):
    freed = visit_at(at(MONDAY, 10), number=1)
    waiting = visit_at(at(FRIDAY, 9), number=2)
    join(waiting, MONDAY, FRIDAY)
    free_the_time(freed, django_capture_on_commit_callbacks)
    link = offer_links(mailoutbox)["patient2@example.com"]
    visit_at(at(MONDAY, 10), number=3)  # the front desk books it by phone

    response = client.post(link)

    assert response.status_code == 409
    assert "Sorry, that time has gone" in response.content.decode()
    assert Visit.objects.get(pk=waiting.pk).starts_at == at(FRIDAY, 9)
    assert WaitlistOffer.objects.get().status == "gone"
    assert WaitlistEntry.objects.get().status == "waiting"


def test_a_changed_offer_link_is_refused(clinic, visit_at, client):
    waiting = visit_at(at(FRIDAY, 9), number=2)
    offer = WaitlistOffer.objects.create(
        entry=join(waiting), practitioner=clinic["doctor"], starts_at=at(MONDAY, 10)
    )
    token = offer.token
    for bad in [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        "x",
        waiting.cancel_token,
    ]:
        url = reverse("appointments:waitlist_offer", args=[bad])
        assert (client.get(url).status_code, client.post(url).status_code) == (400, 400)
    assert Visit.objects.get(pk=waiting.pk).starts_at == at(FRIDAY, 9)


# Entries end ----------------------------------------------------------------------------------


def test_entries_end_when_the_booking_is_cancelled_or_the_window_passes(
    clinic, visit_at
):
    cancelled = visit_at(at(FRIDAY, 9), number=1)
    join(cancelled)
    passed = visit_at(at(FRIDAY, 10), number=2)
    entry = join(passed)
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        earliest_day=timezone.localdate() - datetime.timedelta(days=3),
        latest_day=timezone.localdate() - datetime.timedelta(days=1),
    )
    still = visit_at(at(FRIDAY, 11), number=3)
    join(still)

    cancel_visit(visit=cancelled, by=make_staff_user())
    assert end_passed_entries() == 1

    assert dict(WaitlistEntry.objects.values_list("visit", "status")) == {
        cancelled.pk: "cancelled",
        passed.pk: "expired",
        still.pk: "waiting",
    }


# Staff ----------------------------------------------------------------------------------------


def test_the_front_desk_sees_who_is_waiting_on_the_dashboard(
    clinic, visit_at, staff_client
):
    waiting = visit_at(at(FRIDAY, 9), number=2)
    join(waiting, MONDAY, WEDNESDAY)
    left = visit_at(at(FRIDAY, 10), number=3)
    join(left).delete()

    page = staff_client(make_front_desk_user()).get(reverse("admin:index"))

    body = page.content.decode()
    assert "1 patient waiting for an earlier time" in body
    assert "Patient N." in body
    assert f"{MONDAY:%a %b} {MONDAY.day} to" in body


def test_staff_take_a_patient_off_the_list(clinic, visit_at, staff_client):
    waiting = visit_at(at(FRIDAY, 9), number=2)
    entry = join(waiting)
    client = staff_client(make_front_desk_user())

    listing = client.get(reverse("admin:appointments_waitlistentry_changelist"))
    response = client.post(
        reverse("admin:appointments_waitlistentry_changelist"),
        {"action": "take_off_the_list", "_selected_action": [entry.pk]},
        follow=True,
    )

    assert "Patient N." in listing.content.decode()
    assert "1 patient taken off the cancellation list" in response.content.decode()
    assert WaitlistEntry.objects.get().status == "withdrawn"
    assert Visit.objects.get(pk=waiting.pk).starts_at == at(FRIDAY, 9)
    assert Notification.objects.filter(kind="waitlist_offer").count() == 0


def test_an_entrys_page_lists_its_offers_and_practitioners_only_look(
    clinic, visit_at, staff_client
):
    waiting = visit_at(at(FRIDAY, 9), number=2)
    entry = join(waiting)
    WaitlistOffer.objects.create(
        entry=entry, practitioner=clinic["doctor"], starts_at=at(MONDAY, 10)
    )
    practitioner = make_staff_user()
    practitioner.groups.add(Group.objects.get(name="Practitioners"))
    url = reverse("admin:appointments_waitlistentry_change", args=[entry.pk])

    page = staff_client(practitioner).get(url).content.decode()
    listing = staff_client(practitioner).get(
        reverse("admin:appointments_waitlistentry_changelist")
    )

    assert f"{MONDAY:%a %b} {MONDAY.day}, 10:00 AM" in page
    assert "Offered" in page
    assert "take_off_the_list" not in listing.content.decode()


def test_an_offer_no_longer_earlier_than_the_visit_changes_nothing(
    clinic, visit_at, client
):
    waiting = visit_at(at(FRIDAY, 9), number=2)
    offer = WaitlistOffer.objects.create(
        entry=join(waiting), practitioner=clinic["doctor"], starts_at=at(WEDNESDAY, 10)
    )
    # The patient moved their visit to Monday meanwhile.
    Visit.objects.filter(pk=waiting.pk).update(starts_at=at(MONDAY, 9))
    url = reverse("appointments:waitlist_offer", args=[offer.token])

    page, post = client.get(url), client.post(url)

    assert page.status_code == 200
    assert "This offer no longer applies" in page.content.decode()
    assert post.status_code == 409
    assert Visit.objects.get(pk=waiting.pk).starts_at == at(MONDAY, 9)
