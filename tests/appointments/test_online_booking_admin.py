"""Staff and held times: they stand out on the dashboard and the calendar, and Confirm and
Decline are one click each (a POST with CSRF, for those who may change visits)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.models import Notification, Visit, VisitStatus
from tests.factories import (
    login_verified,
    make_appointment_request,
    make_front_desk_user,
    make_opening_hours,
    make_practitioner,
    make_staff_user,
    make_visit,
    make_visit_type,
)

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")


def next_week(weekday, hour=9, minute=0):
    today = timezone.localdate()
    day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7 + 7)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BOSTON)


@pytest.fixture
def held(practice, front_desk):
    make_opening_hours(practice)
    request = make_appointment_request(
        name="Jane Doe", email="jane@example.com", status="scheduled"
    )
    return make_visit(
        appointment_request=request,
        patient=request.patient,
        practitioner=make_practitioner(first_name="Robin", last_name="Lee"),
        visit_type=make_visit_type(name="New patient exam", duration_minutes=45),
        starts_at=next_week(1, 10),
        status=VisitStatus.HELD,
        source="online",
        hold_expires_at=timezone.now() + datetime.timedelta(hours=20),
    )


@pytest.fixture
def desk(staff_client):
    return staff_client(make_front_desk_user())


def answer_url(visit):
    return reverse("admin:appointments_visit_answer_hold", args=[visit.pk])


def test_held_times_stand_out_on_the_dashboard_with_their_buttons(held, desk):
    html = desk.get(reverse("admin:index")).content.decode()
    assert "1 time picked online to confirm" in html
    assert f'action="{answer_url(held)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html.split('class="frontdesk-held"')[1]
    assert "Confirm Tue" in html and "Decline Tue" in html


def test_confirm_from_the_dashboard_is_one_click_and_sends_the_confirmation(
    held, desk, mailoutbox
):
    response = desk.post(
        answer_url(held), {"answer": "confirm", "return_to": "dashboard"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    held.refresh_from_db()
    assert held.status == VisitStatus.BOOKED
    tasks.deliver_due()
    assert [(m.to, m.subject.split(" (")[0]) for m in mailoutbox] == [
        (["jane@example.com"], "Your visit is booked")
    ]
    dashboard = desk.get(reverse("admin:index")).content.decode()
    assert "Confirmed: " in dashboard
    assert "picked online to confirm" not in dashboard


def test_decline_from_the_visit_page_frees_the_time(held, desk, mailoutbox):
    page = desk.get(held.get_admin_url()).content.decode()
    assert "Picked online: confirm or decline" in page
    assert "Cancel this visit" not in page

    response = desk.post(answer_url(held), {"answer": "decline"})

    assert response["Location"] == held.get_admin_url()
    held.refresh_from_db()
    assert held.status == VisitStatus.DECLINED
    tasks.deliver_due()
    assert [m.subject.split(" (")[0] for m in mailoutbox] == [
        "We could not confirm the time you chose"
    ]
    again = desk.post(answer_url(held), {"answer": "confirm"})
    assert again.status_code == 409
    assert "no longer held" in again.content.decode()


def test_answering_needs_a_post_with_csrf_and_the_right_to_change_visits(
    held, staff_client
):
    practitioner_user = make_staff_user()
    practitioner_user.groups.add(Group.objects.get(name="Practitioners"))
    viewer = staff_client(practitioner_user)
    strict = login_verified(Client(enforce_csrf_checks=True), make_front_desk_user())

    assert viewer.post(answer_url(held), {"answer": "confirm"}).status_code == 403
    assert strict.post(answer_url(held), {"answer": "confirm"}).status_code == 403
    assert viewer.get(reverse("admin:index")).status_code == 200
    assert (
        'aria-label="Confirm' not in viewer.get(reverse("admin:index")).content.decode()
    )
    held.refresh_from_db()
    assert held.status == VisitStatus.HELD
    assert Notification.objects.count() == 0


def test_a_bad_answer_changes_nothing(held, desk):
    response = desk.post(answer_url(held), {"answer": "maybe"})
    assert response.status_code == 400
    assert Visit.objects.get().status == VisitStatus.HELD
    assert desk.get(answer_url(held)).status_code == 302


def test_the_calendar_marks_a_held_time_in_words_and_style(held, desk):
    day = timezone.localtime(held.starts_at).date()
    html = desk.get(
        reverse("admin:appointments_visit_schedule"), {"date": day.isoformat()}
    ).content.decode()
    assert "cal-visit cal-status-held" in html
    assert "[Held, to confirm]" in html
