"""Online booking: a patient picks a real open time, it is held, and staff confirm or decline it
(or it expires). The pages, the hold service, the emails and the expiry job."""

import datetime
import re
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.models import (
    AppointmentRequest,
    Notification,
    Patient,
    RequestStatus,
    Visit,
    VisitChange,
    VisitStatus,
)
from appointments.models.requests import REFERENCE_ALPHABET
from appointments.outbox.holds import expire_due_holds
from appointments.services import open_times as engine
from appointments.services.online_booking import confirm_hold, decline_hold
from appointments.services.schedule import SchedulingError
from clinic.models import OnlineBooking, Practice
from tests.factories import (
    appointment_request_data,
    make_form_stamp,
    make_opening_hours,
    make_patient,
    make_practitioner,
    make_staff_user,
    make_visit,
    make_visit_type,
)
from tests.support.mail import calendar_parts
from tests.support.ratelimits import start_well_inside_the_rate_limit_window

pytestmark = pytest.mark.django_db

START = reverse("appointments:online_booking")
TIMES = reverse("appointments:online_booking_times")
DETAILS = reverse("appointments:online_booking_details")
HELD = reverse("appointments:online_booking_held")
PATIENT_DATA = ["Jane", "Doe", "555", "jane@"]


@pytest.fixture
def booking(practice, settings, front_desk):
    """Online booking on, hold then confirm; open Monday to Friday, 9:00 to 12:00."""
    settings.SITE_URL = "https://www.kennis.example"
    settings.REQUEST_MIN_FILL_SECONDS = 0
    practice.online_booking = OnlineBooking.HOLD
    practice.hold_hours = 24
    practice.online_booking_horizon_days = 60
    practice.save()
    make_opening_hours(practice, opens="09:00", closes="12:00")
    doctor = make_practitioner(first_name="Jeffrey", last_name="Kennis")
    exam = make_visit_type(
        name="New patient exam", duration_minutes=45, is_bookable_online=True
    )
    follow_up = make_visit_type(
        name="Follow-up",
        duration_minutes=30,
        is_for_new_patients=False,
        is_bookable_online=True,
    )
    hidden = make_visit_type(name="Long treatment", duration_minutes=60)
    return {"doctor": doctor, "exam": exam, "follow_up": follow_up, "hidden": hidden}


def next_week_times(visit_type):
    """Real open times a week or more ahead: still open when the test posts."""
    return engine.open_times(
        visit_type=visit_type,
        first_day=timezone.localdate() + datetime.timedelta(days=7),
    )


def details_data(visit_type, time, **overrides):
    data = appointment_request_data(
        visit_type=visit_type.pk, time=time.key, form_stamp=make_form_stamp()
    )
    for name in ("preferred_weekdays", "preferred_times_of_day"):
        data.pop(name, None)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def offered(response) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', response.content.decode())


def test_the_start_page_offers_only_the_types_patients_may_book_online(client, booking):
    response = client.get(START)
    html = response.content.decode()
    assert response.status_code == 200
    assert "New patient exam, 45 minutes" in html
    assert "Follow-up, 30 minutes (returning patients)" in html
    assert "Long treatment" not in html
    assert reverse("appointments:appointment_request") in html


def test_with_online_booking_off_patients_are_sent_to_the_phone_and_request_form(
    client, practice
):
    practice.save()  # online booking is off by default
    for response in (client.get(START), client.get(DETAILS)):
        html = response.content.decode()
        assert "Choosing a time online is not available" in html
        assert reverse("appointments:appointment_request") in html
    assert "Choose a time online" not in client.get("/").content.decode()


def test_the_home_page_links_to_online_booking_when_it_is_on(client, booking):
    assert START in client.get("/").content.decode()


def test_times_are_grouped_by_day_with_later_dates_on_the_next_page(client, booking):
    response = client.get(
        TIMES, {"patient_type": "new", "visit_type": booking["exam"].pk}
    )
    html = response.content.decode()
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert response.status_code == 200
    assert len(legends) == 5
    assert html.count('type="radio"') == len(offered(response)) > 0
    later = (
        re.search(r'href="([^"]+)">Later dates', html).group(1).replace("&amp;", "&")
    )

    second = client.get(later)
    later_legends = re.findall(r"<legend>([^<]+)</legend>", second.content.decode())
    assert later_legends and not set(later_legends) & set(legends)
    assert "Earliest dates" in second.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"patient_type": "new"},
        {"patient_type": "new", "visit_type": "999999"},
        {"patient_type": "new", "visit_type": "x"},
        {"patient_type": "alien", "visit_type": "1"},
        {"patient_type": "new", "visit_type": "hidden"},
        {"patient_type": "new", "visit_type": "follow_up"},
    ],
)
def test_a_visit_type_not_bookable_online_is_refused_with_the_choices_again(
    client, booking, query
):
    if query.get("visit_type") in booking:
        query["visit_type"] = booking[query["visit_type"]].pk
    response = client.get(TIMES, query)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "New patient exam, 45 minutes" in response.content.decode()


def test_a_time_can_be_held_and_the_emails_say_held_without_patient_data(
    client, booking, mailoutbox
):
    exam = booking["exam"]
    time = next_week_times(exam)[0]
    page = client.get(
        DETAILS, {"patient_type": "new", "visit_type": exam.pk, "time": time.key}
    )
    assert page.status_code == 200
    assert f'value="{time.key}" id="id_time" checked' in page.content.decode()

    response = client.post(DETAILS, details_data(exam, time, email="jane@example.com"))

    assert (response.status_code, response["Location"]) == (303, HELD)
    visit = Visit.objects.get()
    assert (visit.status, visit.starts_at, visit.practitioner, visit.visit_type) == (
        VisitStatus.HELD,
        time.starts_at,
        booking["doctor"],
        exam,
    )
    assert (
        datetime.timedelta(hours=23, minutes=59)
        < visit.hold_expires_at - timezone.now()
        <= datetime.timedelta(hours=24)
    )
    assert visit.appointment_request.status == RequestStatus.SCHEDULED
    assert visit.patient.name == "Jane Doe"
    assert time.key not in [t.key for t in next_week_times(exam)]
    held_page = client.get(HELD).content.decode()
    assert visit.appointment_request.reference in held_page
    assert visit.time_in_words in held_page

    tasks.deliver_due()
    by_recipient = {email.to[0]: email for email in mailoutbox}
    patient_email = by_recipient["jane@example.com"]
    staff_email = by_recipient["frontdesk@example.com"]
    reference = visit.appointment_request.reference
    assert patient_email.subject == (
        f"We are holding your time; we will confirm it ({reference})"
    )
    assert "It is not booked yet: our front desk will confirm it by" in (
        patient_email.body
    )
    assert calendar_parts(patient_email) == []  # the calendar file comes once confirmed
    assert staff_email.subject == (
        f"A time was picked online: confirm or decline ({reference})"
    )
    for data in PATIENT_DATA:
        assert data not in patient_email.subject
        assert data not in staff_email.subject + staff_email.body


def test_the_second_patient_for_a_time_is_told_it_was_taken_and_keeps_what_they_typed(
    client, booking
):
    exam = booking["exam"]
    time = next_week_times(exam)[1]
    make_visit(
        patient=make_patient(name="Other Person"),
        practitioner=booking["doctor"],
        starts_at=time.starts_at,
        status=VisitStatus.HELD,
    )

    response = client.post(
        DETAILS,
        details_data(exam, time, name="Jane Doe", note="Tingling feet"),
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "that time was just taken" in html
    assert 'value="Jane Doe"' in html and "Tingling feet" in html
    nearest = offered(response)
    assert len(nearest) == 6 and time.key not in nearest
    assert set(nearest) <= {t.key for t in engine.open_times(visit_type=exam)}
    assert (AppointmentRequest.objects.count(), Visit.objects.count()) == (0, 1)
    assert not Patient.objects.filter(name="Jane Doe").exists()


@pytest.mark.parametrize("row", ["request", "visit"])
def test_a_reference_another_row_already_has_is_drawn_again_not_a_server_error(
    client, booking, monkeypatch, row
):
    """References are five random characters: a hold that draws one in use (seen twice in a
    thousand holds by the bench, against 12,000 stored requests) gets a new one."""
    exam = booking["exam"]
    times = next_week_times(exam)
    client.post(DETAILS, details_data(exam, times[0], email="first@example.com"))
    first = Visit.objects.get()
    taken = (first.appointment_request if row == "request" else first).reference
    # Each reference is five draws. A post draws one for the form's unsaved instance, then the
    # request's, then the visit's: the colliding draw replays the reference already taken.
    plan = [taken, taken] if row == "request" else [None, None, taken]
    draws = [
        c for ref in plan for c in (ref.removeprefix("KEN-") if ref else [None] * 5)
    ]
    real_choice = secrets.choice

    def choice(seq):
        if seq == REFERENCE_ALPHABET and draws:
            return draws.pop(0) or real_choice(seq)
        return real_choice(seq)

    monkeypatch.setattr(secrets, "choice", choice)

    response = client.post(
        DETAILS, details_data(exam, times[1], email="second@example.com")
    )

    assert response.status_code == 303
    second = Visit.objects.exclude(pk=first.pk).get()
    assert second.starts_at == times[1].starts_at
    assert (
        second.appointment_request if row == "request" else second
    ).reference != taken


def test_forged_past_closed_and_too_soon_times_hold_nothing_and_offer_real_times(
    client, booking
):
    exam = booking["exam"]
    practice = Practice.objects.get()
    good = next_week_times(exam)[0]
    doctor = booking["doctor"].pk
    saturday = good.day + datetime.timedelta(days=(5 - good.day.weekday()) % 7)
    at = lambda day, hour: timezone.make_aware(  # noqa: E731
        datetime.datetime.combine(day, datetime.time(hour))
    ).astimezone(datetime.UTC)
    forged = {
        "garbage": ("nonsense", "not one of the times we offer"),
        "off the grid": (
            f"{doctor}@{(good.starts_at + datetime.timedelta(minutes=7)).astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
            "not one of the times we offer",
        ),
        "past": (
            f"{doctor}@{at(timezone.localdate() - datetime.timedelta(days=7), 9):%Y-%m-%dT%H:%M:%SZ}",
            "That time has passed",
        ),
        "closed": (
            f"{doctor}@{at(saturday, 10):%Y-%m-%dT%H:%M:%SZ}",
            "We are not open for visits then",
        ),
        "unknown practitioner": (
            f"999999@{good.starts_at.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
            "We are not open for visits then",
        ),
    }
    for label, (key, message) in forged.items():
        response = client.post(
            DETAILS, {**details_data(exam, good), "time": key}, follow=False
        )
        assert response.status_code == 400, label
        assert message in response.content.decode(), label
        assert offered(response), label

    practice.request_min_notice_hours = 24 * 30
    practice.save()
    response = client.post(DETAILS, details_data(exam, good))
    assert response.status_code == 400
    assert "We need at least 720 hours’ notice" in response.content.decode()
    assert (AppointmentRequest.objects.count(), Visit.objects.count()) == (0, 0)


def test_a_type_not_bookable_online_a_stale_form_and_missing_details_hold_nothing(
    client, booking
):
    exam, hidden = booking["exam"], booking["hidden"]
    time = next_week_times(exam)[0]

    not_bookable = client.post(DETAILS, details_data(hidden, time))
    new_patient_follow_up = client.post(
        DETAILS, details_data(booking["follow_up"], time, patient_type="new")
    )
    stale = client.post(DETAILS, details_data(exam, time, form_stamp="tampered"))
    no_name = client.post(DETAILS, details_data(exam, time, name=""))

    assert not_bookable.status_code == 400
    assert "cannot be booked online" in not_bookable.content.decode()
    assert new_patient_follow_up.status_code == 400
    assert stale.status_code == 400
    assert "This form had expired" in stale.content.decode()
    assert offered(stale) == [time.key]  # the time is still theirs to send again
    assert no_name.status_code == 400
    assert "Enter your name." in no_name.content.decode()
    assert (AppointmentRequest.objects.count(), Visit.objects.count()) == (0, 0)


def test_a_replayed_form_holds_nothing_more(client, booking, django_user_model):
    from django.test import Client

    exam = booking["exam"]
    first, second = next_week_times(exam)[:2]
    data = details_data(exam, first)
    assert client.post(DETAILS, data).status_code == 303
    # The same browser double-clicking: the same hold.
    assert client.post(DETAILS, data)["Location"] == HELD
    # Someone else replaying the captured form, even for another time.
    replay = Client().post(DETAILS, {**data, "time": second.key})

    assert replay.status_code == 400
    assert "This form has been sent already" in replay.content.decode()
    assert list(Visit.objects.values_list("starts_at", flat=True)) == [first.starts_at]


def test_holds_from_one_address_are_capped(client, booking, settings):
    settings.ONLINE_HOLD_RATE_LIMIT = "2/d"
    start_well_inside_the_rate_limit_window("127.0.0.1", period=24 * 3600)
    exam = booking["exam"]
    times = next_week_times(exam)

    statuses = [
        client.post(DETAILS, details_data(exam, time, name=f"Patient {n}")).status_code
        for n, time in enumerate(times[:3])
    ]

    assert statuses == [303, 303, 429]
    assert Visit.objects.count() == 2


def test_a_filled_honeypot_holds_no_time(client, booking):
    exam = booking["exam"]
    time = next_week_times(exam)[0]
    response = client.post(DETAILS, details_data(exam, time, website="http://spam"))
    assert response.status_code == 303
    assert Visit.objects.count() == 0
    assert AppointmentRequest.objects.get().status == RequestStatus.SPAM
    assert time.key in [t.key for t in next_week_times(exam)]


@pytest.fixture
def returning_patient(booking):
    patient = make_patient(
        name="Jane Doe", phone="+16175550123", email="jane@example.com"
    )
    make_visit(
        patient=patient,
        practitioner=booking["doctor"],
        starts_at=timezone.now() - datetime.timedelta(days=30),
        status=VisitStatus.COMPLETED,
    )
    practice = Practice.objects.get()
    practice.online_booking = OnlineBooking.CONFIRM_RETURNING
    practice.save()
    return patient


def test_a_returning_patient_whose_phone_and_email_match_is_booked_at_once(
    client, booking, returning_patient, mailoutbox
):
    follow_up = booking["follow_up"]
    time = next_week_times(follow_up)[0]
    response = client.post(
        DETAILS,
        details_data(
            follow_up, time, patient_type="returning", email="JANE@example.com"
        ),
    )

    assert response.status_code == 303
    visit = Visit.objects.get(source="online")
    assert (visit.status, visit.patient, visit.hold_expires_at) == (
        VisitStatus.BOOKED,
        returning_patient,
        None,
    )
    tasks.deliver_due()
    [confirmation] = [e for e in mailoutbox if e.to == ["jane@example.com"]]
    assert confirmation.subject.startswith("Your visit is booked")
    assert [part["filename"] for part in calendar_parts(confirmation)] == ["visit.ics"]


def test_only_phone_or_only_email_matching_gets_a_hold_and_the_same_page(
    client, booking, returning_patient
):
    follow_up = booking["follow_up"]
    times = next_week_times(follow_up)
    pages = []
    for time, overrides in [
        (times[0], {"email": "someone.else@example.com"}),
        (times[1], {"phone": "(617) 555-0199"}),
        (times[2], {}),
    ]:
        client.post(
            DETAILS,
            details_data(follow_up, time, patient_type="returning", **overrides),
        )
        page = client.get(HELD).content.decode()
        pages.append(re.sub(r"KEN-\w+|<strong>[^<]+</strong>", "", page))

    statuses = list(
        Visit.objects.filter(source="online")
        .order_by("starts_at")
        .values_list("status", flat=True)
    )
    assert statuses == [VisitStatus.HELD, VisitStatus.HELD, VisitStatus.BOOKED]
    assert pages[0] == pages[1] == pages[2]


# --- Staff: confirm, decline; holds that expire -------------------------------------------------


@pytest.fixture
def held(client, booking):
    exam = booking["exam"]
    time = next_week_times(exam)[0]
    client.post(DETAILS, details_data(exam, time, email="jane@example.com"))
    Notification.objects.all().delete()
    return Visit.objects.get()


def test_confirming_a_hold_books_it_and_sends_the_confirmation_with_the_ics(
    held, mailoutbox
):
    staff = make_staff_user()
    confirm_hold(visit=held, by=staff)

    held.refresh_from_db()
    assert (held.status, held.hold_expires_at) == (VisitStatus.BOOKED, None)
    assert held.changes.last().action == VisitChange.Action.CONFIRMED
    tasks.deliver_due()
    [email] = mailoutbox
    assert email.subject == (
        f"Your visit is booked ({held.appointment_request.reference})"
    )
    assert calendar_parts(email)[0]["method"] == "REQUEST"
    with pytest.raises(SchedulingError):
        confirm_hold(visit=held, by=staff)


def test_declining_a_hold_frees_the_time_and_sends_a_kind_note_with_the_phone(
    held, mailoutbox, booking
):
    decline_hold(visit=held, by=make_staff_user())

    held.refresh_from_db()
    assert held.status == VisitStatus.DECLINED
    assert held.appointment_request.status == RequestStatus.DECLINED
    tasks.deliver_due()
    [email] = mailoutbox
    practice = Practice.objects.get()
    assert email.subject == (
        f"We could not confirm the time you chose ({held.appointment_request.reference})"
    )
    assert practice.phone_display in email.body
    assert "we will gladly find a time" in email.body
    assert held.starts_at in [t.starts_at for t in next_week_times(booking["exam"])]


def test_a_hold_nobody_answers_expires_the_time_returns_and_the_patient_is_told(
    held, mailoutbox, booking
):
    not_yet = expire_due_holds(now=held.hold_expires_at - datetime.timedelta(minutes=1))
    assert not_yet == []
    assert held.starts_at not in [t.starts_at for t in next_week_times(booking["exam"])]

    created = expire_due_holds(now=held.hold_expires_at)
    again = expire_due_holds(now=held.hold_expires_at)

    held.refresh_from_db()
    assert (held.status, len(created), again) == (VisitStatus.EXPIRED, 1, [])
    assert held.appointment_request.status == RequestStatus.NEW
    assert held.starts_at in [t.starts_at for t in next_week_times(booking["exam"])]
    tasks.deliver_due()
    [email] = mailoutbox
    assert email.subject.startswith("The time you chose is no longer held")
    assert Practice.objects.get().phone_display in email.body
    with pytest.raises(SchedulingError):
        confirm_hold(visit=held, by=make_staff_user())


def test_a_patient_lets_a_held_time_go_and_no_calendar_cancellation_is_sent(
    client, held, mailoutbox, booking
):
    url = reverse("appointments:visit_cancel", args=[held.cancel_token])
    page = client.get(url).content.decode()
    assert "<h1>The time we are holding for you</h1>" in page
    assert '<button type="submit" class="button">Let this time go</button>' in page
    assert "Cancel my visit" not in page

    response = client.post(url, {"reason": ""})
    assert response.status_code == 303
    page = client.get(url).content.decode()
    assert "<h1>You have let this time go</h1>" in page
    assert "Nothing is booked" in page

    held.refresh_from_db()
    assert held.status == VisitStatus.CANCELLED
    assert held.starts_at in [t.starts_at for t in next_week_times(booking["exam"])]
    tasks.deliver_due()
    to_patient = [email for email in mailoutbox if email.to == ["jane@example.com"]]
    [email] = to_patient
    reference = held.appointment_request.reference
    assert email.subject == f"You let the held time go ({reference})"
    assert "nothing to remove from your calendar" in email.body
    # Its calendar never got the time, so there is no METHOD:CANCEL for it to apply.
    assert calendar_parts(email) == []


@pytest.mark.parametrize("ended", ["declined", "expired"])
def test_the_link_of_a_hold_that_has_ended_offers_nothing_to_cancel(
    client, held, mailoutbox, ended
):
    if ended == "declined":
        decline_hold(visit=held, by=make_staff_user())
    else:
        expire_due_holds(now=held.hold_expires_at)
    Notification.objects.all().delete()
    url = reverse("appointments:visit_cancel", args=[held.cancel_token])
    page = client.get(url).content.decode()
    assert "<h1>This time is no longer held for you</h1>" in page
    assert "<form" not in page.split("<main", 1)[1]

    client.post(url, {"reason": ""})
    held.refresh_from_db()
    assert held.status == ended
    assert not Notification.objects.exists()


def test_a_confirmed_hold_cancelled_by_its_link_takes_it_off_the_calendar(
    client, held, mailoutbox
):
    confirm_hold(visit=held, by=make_staff_user())
    url = reverse("appointments:visit_cancel", args=[held.cancel_token])
    client.post(url, {"reason": ""})
    assert "<h1>Your visit is cancelled</h1>" in client.get(url).content.decode()
    tasks.deliver_due()
    cancelled = [
        e for e in mailoutbox if e.subject.startswith("Your visit is cancelled")
    ]
    assert [part["method"] for part in calendar_parts(cancelled[0])] == ["CANCEL"]


def test_the_sweep_expires_holds_whose_time_is_up(held, mailoutbox):
    Visit.objects.filter(pk=held.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    tasks.sweep_outbox.call()
    held.refresh_from_db()
    assert held.status == VisitStatus.EXPIRED
    assert [e.subject.split(" (")[0] for e in mailoutbox] == [
        "The time you chose is no longer held"
    ]


def test_a_hold_queues_its_own_expiry_job_for_when_it_ends(
    client, booking, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    exam = booking["exam"]
    time = next_week_times(exam)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(DETAILS, details_data(exam, time))

    visit = Visit.objects.get()
    jobs = DBTaskResult.objects.filter(
        status="READY", task_path="appointments.tasks.expire_holds"
    )
    assert [job.run_after for job in jobs] == [visit.hold_expires_at]


def test_the_article_a_patient_came_from_is_kept_with_their_hold(client, booking):
    from tests.factories import make_article

    article = make_article(slug="burning-feet")
    exam = booking["exam"]
    cta = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{START}?article=burning-feet"' in cta
    start = client.get(START, {"article": "burning-feet"}).content.decode()
    assert 'name="article" value="burning-feet"' in start
    times = client.get(
        TIMES, {"patient_type": "new", "visit_type": exam.pk, "article": "burning-feet"}
    )
    assert 'name="article" value="burning-feet"' in times.content.decode()
    time = next_week_times(exam)[0]
    details = client.get(
        DETAILS,
        {
            "patient_type": "new",
            "visit_type": exam.pk,
            "time": time.key,
            "article": "burning-feet",
        },
    )
    assert 'name="article" value="burning-feet"' in details.content.decode()

    client.post(DETAILS, details_data(exam, time, article="burning-feet"))

    held = AppointmentRequest.objects.get()
    assert (held.source_article, held.source_article_slug) == (article, "burning-feet")
