import datetime
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from appointments.models import (
    AppointmentRequest,
    Notification,
    RequestStatus,
    StatusChange,
    Visit,
)
from appointments.outbox.reminders import queue_due_reminders
from appointments.services.frontdesk import change_status, schedule_visit
from appointments.services.schedule import SchedulingError as WorkflowError
from appointments.services.schedule import VisitConflict
from clinic.calendar import one_business_day_before
from clinic.models import Practice
from tests.factories import (
    make_appointment_request,
    make_practitioner,
    make_staff_user,
    make_visit,
)

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")


def history(appointment_request):
    return list(
        StatusChange.objects.filter(
            appointment_request=appointment_request
        ).values_list("from_status", "to_status", "changed_by__username")
    )


def test_each_status_change_is_recorded_with_who_from_and_to():
    staff = make_staff_user()
    appointment_request = make_appointment_request()

    change_status(
        appointment_request=appointment_request, to_status="contacted", by=staff
    )
    schedule_visit(
        appointment_request=appointment_request,
        practitioner=make_practitioner(),
        starts_at=timezone.now() + datetime.timedelta(days=2),
        duration=datetime.timedelta(minutes=30),
        by=staff,
    )
    change_status(
        appointment_request=appointment_request, to_status="completed", by=staff
    )

    appointment_request.refresh_from_db()
    assert appointment_request.status == RequestStatus.COMPLETED
    assert history(appointment_request) == [
        ("new", "contacted", staff.username),
        ("contacted", "scheduled", staff.username),
        ("scheduled", "completed", staff.username),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "completed"),
        ("new", "no_show"),
        ("completed", "new"),
        ("declined", "scheduled"),
        ("spam", "contacted"),
    ],
)
def test_senseless_transitions_are_refused_and_not_recorded(start, target):
    appointment_request = make_appointment_request(status=start)

    with pytest.raises(WorkflowError):
        change_status(
            appointment_request=appointment_request,
            to_status=target,
            by=make_staff_user(),
        )

    appointment_request.refresh_from_db()
    assert (appointment_request.status, history(appointment_request)) == (start, [])


def test_staff_cancelling_a_scheduled_request_frees_its_time():
    visit = make_visit()

    change_status(
        appointment_request=visit.appointment_request,
        to_status="cancelled",
        by=make_staff_user(),
    )

    visit.refresh_from_db()
    assert visit.is_cancelled
    # The same practitioner can now be booked at that time.
    make_visit(practitioner=visit.practitioner, starts_at=visit.starts_at)


def test_booking_an_overlapping_visit_names_the_conflict():
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    starts_at = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=BOSTON)
    booked = make_visit(practitioner=practitioner, starts_at=starts_at)
    other = make_appointment_request()

    with pytest.raises(VisitConflict) as conflict:
        schedule_visit(
            appointment_request=other,
            practitioner=practitioner,
            starts_at=starts_at + datetime.timedelta(minutes=15),
            duration=datetime.timedelta(minutes=30),
            by=make_staff_user(),
        )

    assert str(conflict.value) == (
        "Robin Lee already has a visit on Tuesday, December 1, 2026, 10:00 a.m. to "
        f"10:30 a.m. (request {booked.appointment_request.reference}). "
        "Choose another time or practitioner."
    )
    other.refresh_from_db()
    assert (other.status, list(other.visits.all())) == ("new", [])


def test_back_to_back_visits_and_other_practitioners_do_not_conflict():
    practitioner = make_practitioner()
    starts_at = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=BOSTON)
    first = make_visit(practitioner=practitioner, starts_at=starts_at)
    second = make_visit(
        practitioner=practitioner, starts_at=starts_at + datetime.timedelta(minutes=30)
    )
    third = make_visit(starts_at=starts_at)

    assert list(Visit.objects.booked().order_by("pk")) == [first, second, third]


@pytest.mark.django_db(transaction=True)
def test_two_staff_booking_the_same_time_at_once_cannot_both_win():
    """Two real connections: the second booking waits on the first and then loses."""
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    staff = make_staff_user()
    first_request = make_appointment_request()
    second_request = make_appointment_request()
    starts_at = timezone.now() + datetime.timedelta(days=5)
    first_inserted = threading.Event()
    may_commit = threading.Event()
    outcome = {}

    def first_desk():
        try:
            with transaction.atomic():
                make_visit(
                    appointment_request=first_request,
                    practitioner=practitioner,
                    starts_at=starts_at,
                )
                first_inserted.set()
                may_commit.wait(10)
        finally:
            connections.close_all()

    def second_desk():
        try:
            schedule_visit(
                appointment_request=second_request,
                practitioner=practitioner,
                starts_at=starts_at + datetime.timedelta(minutes=10),
                duration=datetime.timedelta(minutes=30),
                by=staff,
            )
            outcome["second"] = "booked"
        except VisitConflict as conflict:
            outcome["second"] = str(conflict)
        finally:
            connections.close_all()

    desk_one = threading.Thread(target=first_desk)
    desk_one.start()
    assert first_inserted.wait(10)
    desk_two = threading.Thread(target=second_desk)
    desk_two.start()
    # Let the first desk commit only once the second is blocked inside PostgreSQL.
    deadline = time.monotonic() + 10
    waiting = 0
    while time.monotonic() < deadline and not waiting:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0]
        time.sleep(0.05)
    may_commit.set()
    desk_one.join(10)
    desk_two.join(10)

    assert waiting == 1
    assert outcome["second"].startswith("Robin Lee already has a visit on ")
    assert list(Visit.objects.values_list("appointment_request", flat=True)) == [
        first_request.pk
    ]
    second_request.refresh_from_db()
    assert second_request.status == "new"


def test_overdue_counts_business_days_only(practice):
    friday_morning = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=BOSTON)
    saturday = datetime.datetime(2026, 11, 21, 11, 0, tzinfo=BOSTON)
    friday_request = make_appointment_request(created_at=friday_morning)
    saturday_request = make_appointment_request(created_at=saturday)
    answered = make_appointment_request(created_at=friday_morning, status="contacted")

    monday_8am = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=BOSTON)
    monday_10am = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=BOSTON)
    tuesday_1am = datetime.datetime(2026, 11, 24, 1, 0, tzinfo=BOSTON)

    assert one_business_day_before(
        Practice.get_current(), monday_8am
    ) == datetime.datetime(2026, 11, 20, 8, 0, tzinfo=BOSTON)
    assert list(AppointmentRequest.objects.overdue(monday_8am)) == []
    assert list(AppointmentRequest.objects.overdue(monday_10am)) == [friday_request]
    assert set(AppointmentRequest.objects.overdue(tuesday_1am)) == {
        friday_request,
        saturday_request,
    }
    assert answered not in AppointmentRequest.objects.overdue(tuesday_1am)


def test_reminders_are_queued_once_per_visit_even_when_the_job_runs_twice():
    now = timezone.now()
    tomorrow = make_visit(
        starts_at=now + datetime.timedelta(hours=20),
        created_at=now - datetime.timedelta(days=3),
    )
    make_visit(  # next week: not yet
        starts_at=now + datetime.timedelta(days=7),
        created_at=now - datetime.timedelta(days=3),
    )
    make_visit(  # booked this morning for tomorrow: the confirmation is enough
        starts_at=now + datetime.timedelta(hours=20),
        created_at=now - datetime.timedelta(hours=2),
    )
    cancelled = make_visit(
        starts_at=now + datetime.timedelta(hours=10),
        created_at=now - datetime.timedelta(days=3),
    )
    cancelled.status = "cancelled"
    cancelled.save()

    first_run = queue_due_reminders()
    second_run = queue_due_reminders()

    reminders = Notification.objects.filter(kind="visit_reminder")
    assert (len(first_run), second_run) == (1, [])
    assert list(reminders.values_list("visit", "recipient")) == [
        (tomorrow.pk, "jane@example.com")
    ]


def test_the_database_refuses_a_second_reminder_for_one_visit():
    from django.db import IntegrityError

    visit = make_visit()
    fields = {
        "appointment_request": visit.appointment_request,
        "visit": visit,
        "kind": "visit_reminder",
        "recipient": "jane@example.com",
    }
    Notification.objects.create(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**fields)
