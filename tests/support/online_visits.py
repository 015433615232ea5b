"""Helpers for the tests of a visit's link pages (move, cancellation list, earlier times).

The pages judge "past", notice and late-cancel windows by the real clock, so visits go on a
Monday computed from today (two to three weeks ahead, always a Monday and always open), never
on "now + 1 day".
"""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments.services.schedule import Booking, book_visit
from clinic.models import Practice
from tests.factories import (
    make_opening_hours,
    make_patient,
    make_practitioner,
    make_staff_user,
    make_visit_type,
)


def a_monday(weeks_ahead: int = 2) -> datetime.date:
    """The Monday at least `weeks_ahead` weeks from today (Boston)."""
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 * weeks_ahead + (7 - today.weekday()) % 7)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def open_for_online_booking(practice, **settings) -> Practice:
    """Weekdays 9:00 to 17:00, online booking on (hold then confirm), 120 days ahead."""
    fields = {
        "online_booking": "hold",
        "hold_hours": 24,
        "online_booking_horizon_days": 120,
    }
    for name, value in {**fields, **settings}.items():
        setattr(practice, name, value)
    practice.save()
    make_opening_hours(practice)
    return Practice.get_current()


def make_doctor():
    return make_practitioner(first_name="Jeffrey", last_name="Kennis")


def make_follow_up(**overrides):
    fields = {"name": "Follow-up", "duration_minutes": 30, "is_bookable_online": True}
    return make_visit_type(**{**fields, **overrides})


def book(starts_at, *, practitioner, visit_type, patient=None, **patient_fields):
    """Book a visit as the front desk does (the patient's confirmation is queued)."""
    patient = patient or make_patient(**patient_fields)
    return book_visit(
        booking=Booking(
            patient=patient, practitioner=practitioner, visit_type=visit_type
        ),
        starts_at=starts_at,
        by=make_staff_user(),
    )


def run_queued(task) -> list:
    """Run every queued (READY) task of this kind, as the worker would: their results."""
    results = []
    for queued in DBTaskResult.objects.filter(
        status="READY", task_path=task.module_path
    ).order_by("enqueued_at"):
        queued.delete()
        results.append(task.call(*queued.args_kwargs["args"]))
    return results
