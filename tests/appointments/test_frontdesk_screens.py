"""The front desk's screens: the calendar to book from, the inbox dashboard, a request page that
answers who/how/what/when first, and an admin in the practice's words."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Visit, VisitChange
from tests.factories import (
    make_appointment_request,
    make_article,
    make_closure,
    make_contact_message,
    make_front_desk_user,
    make_opening_hours,
    make_patient,
    make_practitioner,
    make_visit,
    make_visit_type,
)

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
SCHEDULE = "admin:appointments_visit_schedule"


@pytest.fixture
def desk(staff_client, practice):
    user = make_front_desk_user()
    return user, staff_client(user)


def next_week(weekday, hour=9, minute=0):
    today = timezone.localdate()
    day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7 + 7)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BOSTON)


def cells(response, column=0):
    """(time, kind, text) of each row's cell in one column of the calendar."""
    grid = response.context["grid"]
    return [
        (
            f"{row.time:%H:%M}",
            row.cells[column].kind,
            [visit.pk for visit in row.cells[column].visits],
        )
        for row in grid.rows
    ]


def test_the_day_has_a_column_per_practitioner_with_visits_and_free_times(desk):
    _, client = desk
    robin = make_practitioner(first_name="Robin", last_name="Lee")
    sam = make_practitioner(first_name="Sam", last_name="Ortiz")
    exam = make_visit_type(
        name="New patient exam", duration_minutes=45, buffer_minutes=15
    )
    monday = next_week(0, 9)
    visit = make_visit(practitioner=robin, starts_at=monday, duration=exam.duration)
    visit.visit_type, visit.buffer = exam, exam.buffer
    visit.save()

    response = client.get(
        reverse(SCHEDULE), {"date": f"{monday:%Y-%m-%d}", "span": "day"}
    )

    grid = response.context["grid"]
    assert [column.heading for column in grid.columns] == ["Robin Lee", "Sam Ortiz"]
    robins = {time: (kind, pks) for time, kind, pks in cells(response, 0)}
    assert robins["09:00"] == ("visit", [visit.pk])
    assert [robins[t][0] for t in ("09:15", "09:30", "09:45", "10:00")] == [
        "taken",
        "taken",
        "taken",  # the buffer after the exam
        "free",
    ]
    # Without opening hours the day runs from 7:00 AM.
    assert ("06:45" in robins, robins["07:00"][0]) == (False, "free")
    body = response.content.decode()
    assert f'href="{visit.get_admin_url()}"' in body
    assert "9:00–9:45 AM Jane D., New patient exam" in body
    sams_ten = grid.rows[12].cells[1]  # 10:00 in Sam's column
    assert sams_ten.book_url == (
        f"{reverse('admin:appointments_visit_book')}?date={monday:%Y-%m-%d}"
        f"&time=10%3A00&practitioner={sam.pk}"
    )
    booking = client.get(sams_ten.book_url)
    form = booking.context["form"]
    assert (
        form["date"].value(),
        form["time"].value(),
        form["practitioner"].value(),
    ) == (
        f"{monday:%Y-%m-%d}",
        "10:00",
        str(sam.pk),
    )


def test_the_week_follows_the_hours_and_shades_closures(desk, practice):
    _, client = desk
    make_practitioner()
    make_opening_hours(practice, weekdays=[0, 1, 2, 3], opens="09:00", closes="17:00")
    monday = next_week(0)
    make_closure(
        practice, (monday + datetime.timedelta(days=1)).date(), public_note="Training"
    )

    response = client.get(
        reverse(SCHEDULE), {"date": f"{monday:%Y-%m-%d}", "span": "week"}
    )

    grid = response.context["grid"]
    assert [f"{row.time:%H:%M}" for row in grid.rows][:2] == ["09:00", "09:30"]
    assert len(grid.rows) == 16
    kinds = [
        {cell.kind for cell in (row.cells[n] for row in grid.rows)} for n in range(7)
    ]
    assert kinds == [
        {"free"},
        {"closed"},
        {"free"},
        {"free"},
        {"closed"},
        {"closed"},
        {"closed"},
    ]
    assert "Closed: Training" in response.content.decode()


def test_an_unusual_time_without_opening_hours_is_a_warning_to_confirm(desk):
    _, client = desk
    practitioner = make_practitioner()
    patient = make_patient()
    sunday = next_week(6, 3)
    url = f"{reverse('admin:appointments_visit_book')}?patient={patient.pk}"
    visit = {
        "practitioner": practitioner.pk,
        "duration": "30",
        "date": f"{sunday:%Y-%m-%d}",
        "time": "03:00",
        "source": "phone",
    }

    first = client.post(url, visit)
    second = client.post(url, {**visit, "book_anyway": "on"})

    assert first.context["form"].errors == {
        "__all__": [
            "Sunday at 3:00 AM is outside a usual working day (Monday to Saturday, 7:00 AM "
            "to 8:00 PM), and no opening hours are set in the practice information. To book "
            "it anyway, tick “Book it anyway” and press the button again."
        ]
    }
    assert second.status_code == 302
    assert list(Visit.objects.values_list("starts_at", flat=True)) == [sunday]


def test_a_clash_offers_the_next_free_times(desk):
    _, client = desk
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    tuesday = next_week(1, 10)
    make_visit(practitioner=practitioner, starts_at=tuesday)
    patient = make_patient(name="Carla Diaz")

    response = client.post(
        f"{reverse('admin:appointments_visit_book')}?patient={patient.pk}",
        {
            "practitioner": practitioner.pk,
            "duration": "30",
            "date": f"{tuesday:%Y-%m-%d}",
            "time": "10:15",
            "source": "phone",
        },
    )

    assert response.status_code == 409
    assert [
        timezone.localtime(moment).time() for moment in response.context["suggestions"]
    ] == [datetime.time(10, 30), datetime.time(10, 45), datetime.time(11, 0)]
    assert "Already booked on" in response.content.decode()


def test_the_calendar_loads_in_constant_queries_however_many_visits(
    desk, django_assert_max_num_queries
):
    _, client = desk
    practitioners = [make_practitioner() for _ in range(3)]
    monday = next_week(0, 7)
    url = reverse(SCHEDULE)
    params = {"date": f"{monday:%Y-%m-%d}", "span": "week"}
    client.get(url, params)  # warm the practice record's cache
    with django_assert_max_num_queries(12) as few:
        client.get(url, params)
    # A busy week (200 visits) and a year of history.
    patient = make_patient()
    visits = [
        Visit(
            patient=patient,
            practitioner=practitioners[n % 3],
            starts_at=monday
            + datetime.timedelta(days=(n // 3) % 6, minutes=30 * (n // 3 // 6)),
            duration=datetime.timedelta(minutes=30),
        )
        for n in range(200)
    ] + [
        Visit(
            patient=patient,
            practitioner=practitioners[0],
            starts_at=monday - datetime.timedelta(days=2 + n),
            duration=datetime.timedelta(minutes=30),
        )
        for n in range(365)
    ]
    for visit in visits:
        visit.ends_at = visit.starts_at + visit.duration
        visit.blocked_until = visit.ends_at
    Visit.objects.bulk_create(visits)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, params)
    assert response.content.decode().count('class="cal-visit') == 200


def test_the_dashboard_is_the_front_desks_inbox(desk, settings):
    user, client = desk
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    make_appointment_request(
        name="Ann Waiting",
        reason="back_pain",
        created_at=timezone.now() - datetime.timedelta(hours=3),
    )
    make_contact_message(name="Bob Asking", phone="+16175550142")
    # Halfway between midnight and now: today, whenever the tests run.
    midnight = datetime.datetime.combine(
        timezone.localdate(), datetime.time(0), tzinfo=BOSTON
    )
    today = make_visit(
        starts_at=midnight + (timezone.now() - midnight) / 2,
        created_at=midnight - datetime.timedelta(days=1),
        patient=make_patient(name="Cleo Today"),
    )
    cancelled = make_visit(
        starts_at=next_week(2), patient=make_patient(name="Dan Gone")
    )
    cancelled.status = "cancelled"
    cancelled.save()
    VisitChange.objects.create(visit=cancelled, action="cancelled", changed_by=None)

    body = client.get(reverse("admin:index")).content.decode()

    for seen in [
        "1 new request",
        "Ann W.",
        "Back pain",
        "3\xa0hours",
        "1 new message",
        "Bob A.",
        "1 visit today",
        "Cleo T.",
        "Cancelled by patients this week",
        "Dan G.",
        "All emails delivered",
    ]:
        assert seen in body, seen
    assert f'href="{today.get_admin_url()}"' in body


def test_the_dashboard_never_says_all_delivered_when_nothing_could_be_sent(
    desk, settings
):
    _, client = desk
    settings.FRONT_DESK_EMAIL = ""
    body = client.get(reverse("admin:index")).content.decode()
    assert "All emails delivered" not in body
    assert (
        "New requests are emailed to nobody: no front-desk email address is set."
        in body
    )


def test_the_owner_sees_what_is_still_to_set_up(admin_client, practice, settings):
    settings.FRONT_DESK_EMAIL = ""

    def warnings():
        body = admin_client.get(reverse("admin:index")).content.decode()
        return [
            topic
            for topic in [
                "No front-desk email",
                "No opening hours",
                "No practitioner",
                "No visit types",
            ]
            if topic in body
        ]

    assert warnings() == [
        "No front-desk email",
        "No opening hours",
        "No practitioner",
        "No visit types",
    ]
    practice.email = "desk@kennis.example"
    practice.save()
    make_opening_hours(practice)
    make_practitioner()
    make_visit_type()
    assert warnings() == []


def test_the_dashboard_loads_in_constant_queries(desk, django_assert_max_num_queries):
    _, client = desk
    url = reverse("admin:index")
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(40):
        make_appointment_request(name=f"Person {n}")
        make_contact_message(name=f"Writer {n}")
        make_visit(starts_at=timezone.now() + datetime.timedelta(minutes=10 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_request_page_says_who_how_what_and_when_first(desk):
    _, client = desk
    article = make_article(title="Nerve pain in the feet")
    request = make_appointment_request(
        name="Jane Doe",
        reason="neuropathy",
        preferred_weekdays=[1, 3],
        preferred_times_of_day=["morning"],
        source_article=article,
        source_article_slug=article.slug,
    )

    body = client.get(request.get_admin_url()).content.decode()
    top = body.split('class="staff-request-summary"')[1].split("</dl>")[0]

    assert "<strong>Jane Doe</strong>" in top
    assert 'href="tel:+16175550123"' in top
    assert "Tue, Thu morning" in top
    assert "1, 3" not in body
    assert body.count("Nerve pain in the feet") == 1
    response = client.post(
        reverse("admin:appointments_appointmentrequest_contacted", args=[request.pk])
    )
    request.refresh_from_db()
    assert (response.status_code, request.status) == (302, "contacted")


def test_the_admin_speaks_the_practices_words(desk, admin_client):
    _, client = desk
    for_desk = client.get(reverse("admin:index")).content.decode()
    for_owner = admin_client.get(reverse("admin:index")).content.decode()
    for library_label in [
        "Axes",
        "Otp_Totp",
        "TOTP devices",
        "Tasks Database Backend",
        "Task Results",
    ]:
        assert library_label not in for_desk, library_label
        assert library_label not in for_owner, library_label
    assert "Patients, appointments and messages" in for_desk
    assert "Security and system" not in for_desk
    assert "Security and system" in for_owner
    assert "Authenticator apps of staff" in for_owner
    assert "Background jobs (emails, reminders)" in for_owner
    assert client.get("/admin/axes/").status_code == 404


def test_the_patients_cancel_page_is_styled_like_the_site(client, practice):
    visit = make_visit(starts_at=timezone.now() + datetime.timedelta(days=4))
    body = client.get(
        reverse("appointments:visit_cancel", args=[visit.cancel_token])
    ).content.decode()
    assert "/static/css/forms." in body
    assert '<button type="submit" class="button">Cancel my visit</button>' in body
