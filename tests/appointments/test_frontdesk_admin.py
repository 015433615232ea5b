import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from appointments.models import AccessRecord, StatusChange, Visit
from tests.factories import (
    make_appointment_request,
    make_closure,
    make_front_desk_user,
    make_opening_hours,
    make_practitioner,
    make_staff_user,
    make_visit,
)

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
CHANGELIST = "admin:appointments_appointmentrequest_changelist"


def change_url(appointment_request):
    return reverse(
        "admin:appointments_appointmentrequest_change", args=[appointment_request.pk]
    )


@pytest.fixture
def desk(staff_client):
    user = make_front_desk_user()
    return user, staff_client(user)


def listed_references(response):
    return [row.reference for row in response.context["cl"].result_list]


def test_request_list_shows_what_the_front_desk_needs(desk):
    _, client = desk
    make_appointment_request(
        name="Ann Example",
        reason="back_pain",
        patient_type="returning",
        preferred_weekdays=[0, 2],
        preferred_times_of_day=["morning"],
        source_article_slug="what-is-neuropathy",
        created_at=timezone.now() - datetime.timedelta(days=6),
    )

    body = client.get(reverse(CHANGELIST)).content.decode()

    for text in [
        "Ann Example",
        "Returning patient",
        "Back pain",
        "Mon, Wed morning",
        "what-is-neuropathy",
        "6\xa0days ago, overdue",
    ]:
        assert text in body


def test_filters_and_search_by_reference_name_phone_email(desk):
    _, client = desk
    ann = make_appointment_request(name="Ann Example", phone="+16175550101")
    bob = make_appointment_request(
        name="Bob Sample", email="bob@example.org", reason="neck_pain"
    )
    contacted = make_appointment_request(status="contacted")
    url = reverse(CHANGELIST)

    assert listed_references(client.get(url, {"q": ann.reference})) == [ann.reference]
    assert listed_references(client.get(url, {"q": "Sample"})) == [bob.reference]
    assert listed_references(client.get(url, {"q": "(617) 555-0101"})) == [
        ann.reference
    ]
    assert listed_references(client.get(url, {"q": "bob@example.org"})) == [
        bob.reference
    ]
    assert listed_references(client.get(url, {"reason__exact": "neck_pain"})) == [
        bob.reference
    ]
    assert listed_references(client.get(url, {"status__exact": "contacted"})) == [
        contacted.reference
    ]


def test_staff_add_notes_and_change_status_but_not_the_patients_words(desk):
    user, client = desk
    appointment_request = make_appointment_request(note="Tingling in both feet")

    response = client.post(
        change_url(appointment_request),
        {
            "status": "contacted",
            "internal_notes": "Left a voicemail.",
            "note": "changed",
            "name": "Someone Else",
            **empty_inlines(),
        },
    )

    assert response.status_code == 302
    appointment_request.refresh_from_db()
    assert (
        appointment_request.status,
        appointment_request.internal_notes,
        appointment_request.note,
        appointment_request.name,
    ) == ("contacted", "Left a voicemail.", "Tingling in both feet", "Jane Doe")
    assert list(
        StatusChange.objects.values_list("from_status", "to_status", "changed_by")
    ) == [("new", "contacted", user.pk)]


def empty_inlines():
    data = {}
    for prefix in ["notifications"]:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def test_only_sensible_next_statuses_are_offered(desk):
    _, client = desk
    appointment_request = make_appointment_request(status="scheduled")

    form = client.get(change_url(appointment_request)).context["adminform"].form

    assert form.fields["status"].choices == [
        ("scheduled", "Scheduled (current)"),
        ("completed", "Completed"),
        ("no_show", "No-show"),
        ("cancelled", "Cancelled"),
    ]


def test_mark_contacted_and_mark_spam_actions(desk):
    _, client = desk
    fresh = make_appointment_request()
    done = make_appointment_request(status="completed")

    response = client.post(
        reverse(CHANGELIST),
        {"action": "mark_contacted", "_selected_action": [fresh.pk, done.pk]},
        follow=True,
    )
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert (fresh.status, done.status) == ("contacted", "completed")
    assert [str(m) for m in response.context["messages"]] == [
        "1 marked as contacted.",
        "1 left as they were: their status cannot become “contacted”.",
    ]

    bot = make_appointment_request()
    client.post(
        reverse(CHANGELIST), {"action": "mark_spam", "_selected_action": [bot.pk]}
    )
    bot.refresh_from_db()
    assert bot.status == "spam"


def test_export_downloads_the_filtered_list_and_is_audited(desk):
    user, client = desk
    make_appointment_request(reason="neck_pain", name="Neck Person")
    back = make_appointment_request(
        reason="back_pain", name="=HYPERLINK(1)", phone="+16175550111"
    )

    response = client.post(
        reverse("admin:appointments_appointmentrequest_export")
        + "?reason__exact=back_pain"
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [(row["reference"], row["name"], row["phone"]) for row in rows] == [
        (back.reference, "'=HYPERLINK(1)", "(617) 555-0111")
    ]
    assert list(
        AccessRecord.objects.values_list("username", "action", "references")
    ) == [(user.username, "exported", [back.reference])]


def test_export_needs_the_export_permission(staff_client):
    viewer = make_staff_user()
    viewer.user_permissions.add(
        *Group.objects.get(name="Practitioners").permissions.all()
    )
    client = staff_client(viewer)

    response = client.post(reverse("admin:appointments_appointmentrequest_export"))

    assert response.status_code == 403
    assert AccessRecord.objects.count() == 0


def test_opening_a_request_is_recorded_in_the_audit_trail(desk):
    user, client = desk
    appointment_request = make_appointment_request()

    client.get(change_url(appointment_request))

    assert list(
        AccessRecord.objects.values_list("username", "action", "references")
    ) == [(user.username, "viewed", [appointment_request.reference])]


def test_audit_trail_is_read_only_even_for_superusers(admin_client):
    appointment_request = make_appointment_request()
    admin_client.get(change_url(appointment_request))
    record = AccessRecord.objects.get()

    page = admin_client.get(
        reverse("admin:appointments_accessrecord_change", args=[record.pk])
    )
    delete = admin_client.post(
        reverse("admin:appointments_accessrecord_delete", args=[record.pk]),
        {"post": "yes"},
    )

    assert "Save" not in page.content.decode().split('id="content-main"')[1]
    assert delete.status_code == 403
    assert AccessRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize(
    ("group", "allowed", "refused"),
    [
        (
            "Front desk",
            {
                "appointments.view_appointmentrequest",
                "appointments.change_appointmentrequest",
                "appointments.export_appointmentrequest",
                "appointments.add_visit",
            },
            {
                "appointments.delete_appointmentrequest",
                "auth.add_user",
                "auth.change_user",
                "appointments.view_accessrecord",
            },
        ),
        (
            "Practitioners",
            {"appointments.view_appointmentrequest", "appointments.view_visit"},
            {
                "appointments.change_appointmentrequest",
                "appointments.export_appointmentrequest",
                "appointments.delete_appointmentrequest",
                "auth.change_user",
            },
        ),
        (
            "Editors",
            {"education.add_article", "education.change_article"},
            {
                "education.delete_article",
                "education.change_historicalarticle",
                "appointments.view_appointmentrequest",
                "appointments.delete_appointmentrequest",
                "auth.change_user",
            },
        ),
    ],
)
def test_group_permissions(group, allowed, refused):
    user = make_staff_user()
    user.groups.add(Group.objects.get(name=group))

    assert {perm for perm in allowed | refused if user.has_perm(perm)} == allowed


def test_only_superusers_delete_requests_or_manage_users(desk, admin_client):
    _, client = desk
    appointment_request = make_appointment_request()
    delete_url = reverse(
        "admin:appointments_appointmentrequest_delete", args=[appointment_request.pk]
    )

    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert (
        not type(appointment_request).objects.filter(pk=appointment_request.pk).exists()
    )


def schedule(client, appointment_request, **data):
    return client.post(
        reverse(
            "admin:appointments_appointmentrequest_schedule",
            args=[appointment_request.pk],
        ),
        data,
    )


def test_scheduling_a_request_from_the_admin(desk):
    _, client = desk
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    appointment_request = make_appointment_request(status="contacted")
    # A Wednesday about ten days ahead: a usual working day whatever day the tests run.
    day = timezone.localdate() + datetime.timedelta(days=7)
    day += datetime.timedelta(days=(2 - day.weekday()) % 7)

    page = client.get(change_url(appointment_request))
    assert "Schedule a visit" in page.content.decode()
    response = schedule(
        client,
        appointment_request,
        practitioner=practitioner.pk,
        date=day.isoformat(),
        time="14:30",
        duration="45",
    )

    assert response.url == change_url(appointment_request)
    visit = Visit.objects.get()
    assert (
        timezone.localtime(visit.starts_at).replace(tzinfo=None),
        visit.duration,
        visit.practitioner,
    ) == (
        datetime.datetime.combine(day, datetime.time(14, 30)),
        datetime.timedelta(minutes=45),
        practitioner,
    )
    appointment_request.refresh_from_db()
    assert appointment_request.status == "scheduled"


def test_scheduling_over_a_booked_time_shows_the_conflict(desk):
    _, client = desk
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    starts_at = datetime.datetime(2027, 1, 12, 9, 0, tzinfo=BOSTON)
    booked = make_visit(practitioner=practitioner, starts_at=starts_at)
    appointment_request = make_appointment_request()

    response = schedule(
        client,
        appointment_request,
        practitioner=practitioner.pk,
        date="2027-01-12",
        time="09:15",
        duration="30",
    )

    # 409 Conflict: the form comes back with the clash named and the next free times.
    assert response.status_code == 409
    assert response.context["form"].errors == {
        "time": [
            "Robin Lee already has a visit on Tuesday, January 12, 2027, 9:00 a.m. to "
            f"9:30 a.m. (request {booked.appointment_request.reference}). "
            "Choose another time or practitioner."
        ]
    }
    assert list(Visit.objects.all()) == [booked]


def test_schedule_form_refuses_the_past_and_missing_fields(desk):
    _, client = desk
    make_practitioner()
    appointment_request = make_appointment_request()

    response = schedule(client, appointment_request, date="2020-01-06", time="10:00")

    assert response.context["form"].errors == {
        "practitioner": ["This field is required."],
        "duration": ["This field is required."],
        "date": ["Choose a date and time in the future."],
    }


@pytest.mark.parametrize(
    ("date", "time", "duration", "problem"),
    [
        (
            "2027-01-13",
            "10:00",
            "30",
            "The practice is closed on Wednesday, January 13, 2027 (Staff training).",
        ),
        ("2027-01-16", "10:00", "30", "The practice is not open on Saturdays."),
        (
            "2027-01-12",
            "16:45",
            "30",
            "That is outside the practice's hours on Tuesdays (9:00 AM to 5:00 PM).",
        ),
    ],
)
def test_booking_on_a_closed_day_or_after_hours_needs_a_second_look(
    desk, practice, date, time, duration, problem
):
    _, client = desk
    make_opening_hours(practice)  # Monday to Friday, 9 to 5
    make_closure(practice, datetime.date(2027, 1, 13), public_note="Staff training")
    practitioner = make_practitioner()
    appointment_request = make_appointment_request()
    visit = {
        "practitioner": practitioner.pk,
        "date": date,
        "time": time,
        "duration": duration,
    }

    first = schedule(client, appointment_request, **visit)
    assert first.context["form"].errors == {
        "__all__": [
            f"{problem} To book it anyway, tick “Book it anyway” and press the "
            "button again."
        ]
    }
    assert list(Visit.objects.all()) == []

    confirmed = schedule(client, appointment_request, **visit, book_anyway="on")
    assert confirmed.url == change_url(appointment_request)
    assert Visit.objects.count() == 1


def test_booking_within_opening_hours_needs_no_second_look(desk, practice):
    _, client = desk
    make_opening_hours(practice)
    appointment_request = make_appointment_request()

    response = schedule(
        client,
        appointment_request,
        practitioner=make_practitioner().pk,
        date="2027-01-12",
        time="16:30",
        duration="30",
    )

    assert response.url == change_url(appointment_request)
    assert Visit.objects.count() == 1


def test_schedule_view_shows_the_visits_of_a_day_and_a_week(desk):
    _, client = desk
    monday = datetime.datetime(2027, 2, 1, 9, 0, tzinfo=BOSTON)
    on_monday = make_visit(starts_at=monday)
    on_thursday = make_visit(starts_at=monday + datetime.timedelta(days=3, hours=2))
    make_visit(starts_at=monday + datetime.timedelta(days=7))  # the week after
    url = reverse("admin:appointments_visit_schedule")

    day = client.get(url, {"date": "2027-02-01", "span": "day"})
    week = client.get(url, {"date": "2027-02-03", "span": "week"})

    def shown(response):
        return [
            [visit.pk for visit in visits] for _, visits in response.context["days"]
        ]

    assert shown(day) == [[on_monday.pk]]
    assert shown(week) == [[on_monday.pk], [], [], [on_thursday.pk], [], [], []]
    assert "Week of Monday, February 1, 2027" in week.content.decode()
    assert "9:00–9:30 AM Jane D." in day.content.decode()


def test_dashboard_shows_new_overdue_and_undelivered(desk, settings):
    _, client = desk
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    make_appointment_request()
    make_appointment_request(created_at=timezone.now() - datetime.timedelta(days=5))

    body = client.get(reverse("admin:index")).content.decode()

    assert "2 new requests" in body
    assert "1 waiting more than one business day" in body
    assert "All emails delivered" in body


def test_dashboard_lists_articles_due_for_review_for_editors(staff_client):
    from tests.factories import make_article

    overdue = make_article(
        title="Numb feet explained",
        reviewer_name="A. Reviewer",
        last_reviewed_on=datetime.date(2025, 1, 1),
        next_review_due=datetime.date(2025, 6, 1),
    )
    editor = make_staff_user()
    editor.groups.add(Group.objects.get(name="Editors"))

    body = staff_client(editor).get(reverse("admin:index")).content.decode()

    assert "1 article due for review:" in body
    assert (
        f'href="{reverse("admin:education_article_change", args=[overdue.pk])}"' in body
    )
    # Editors see no patient requests on the dashboard.
    assert "new request" not in body


def test_failed_emails_show_on_the_dashboard(desk):
    from appointments.models import Notification

    _, client = desk
    Notification.objects.create(
        appointment_request=make_appointment_request(),
        kind="staff_new_request",
        recipient="desk@example.com",
        status="failed",
    )

    body = client.get(reverse("admin:index")).content.decode()

    assert "1 email failed, 0 waiting over 15 minutes" in body


def test_request_list_queries_do_not_grow_with_the_rows(desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, client = desk
    url = reverse(CHANGELIST)

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_appointment_request()
    few = queries_for_list()
    for _ in range(30):
        make_appointment_request()
    assert queries_for_list() == few


def test_far_future_dates_get_a_message_not_an_error(desk):
    _, client = desk
    practitioner = make_practitioner()
    appointment_request = make_appointment_request()

    response = schedule(
        client,
        appointment_request,
        practitioner=practitioner.pk,
        date="9999-12-31",
        time="23:30",
        duration="90",
    )
    schedule_page = client.get(
        reverse("admin:appointments_visit_schedule"),
        {"date": "9999-12-31", "span": "week"},
    )

    assert response.context["form"].errors == {
        "date": ["Choose a date within the next two years."]
    }
    assert "Choose a date between 2000 and 2999. Showing today instead." in (
        schedule_page.content.decode()
    )
    assert schedule_page.context["days"][0][
        0
    ] == timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())


def test_a_time_the_clocks_skip_is_refused_with_the_reason(desk):
    _, client = desk
    response = schedule(
        client,
        make_appointment_request(),
        practitioner=make_practitioner().pk,
        date="2027-03-14",
        time="02:30",
        duration="30",
    )
    assert response.context["form"].errors == {
        "time": ["That time does not exist on this day (the clocks change)."]
    }
    assert list(Visit.objects.all()) == []
