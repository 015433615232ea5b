import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from appointments.models import AppointmentRequest, Notification, StatusChange, Visit
from tests.factories import make_appointment_request, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_of_all_ages():
    long_ago = timezone.now() - datetime.timedelta(days=400)
    old_closed = {
        status: make_appointment_request(status=status, status_changed_at=long_ago)
        for status in ["completed", "declined", "cancelled", "no_show", "spam"]
    }
    for appointment_request in old_closed.values():
        Notification.objects.create(
            appointment_request=appointment_request,
            kind="staff_new_request",
            recipient="desk@example.com",
        )
    visit = make_visit(appointment_request=old_closed["completed"])
    StatusChange.objects.create(
        appointment_request=old_closed["completed"],
        from_status="scheduled",
        to_status="completed",
    )
    kept = [
        make_appointment_request(status="new", status_changed_at=long_ago),
        make_appointment_request(status="scheduled", status_changed_at=long_ago),
        make_appointment_request(status="completed"),
    ]
    return old_closed, visit, kept


def purge(*args):
    out = io.StringIO()
    call_command("purge_requests", *args, stdout=out)
    return out.getvalue()


def test_purge_removes_old_closed_requests_with_their_records(requests_of_all_ages):
    _, visit, kept = requests_of_all_ages

    output = purge("--older-than", "365")

    assert output.startswith(
        "Deleted 5 closed request(s), 0 closed message(s) and 5 notification record(s)"
    )
    assert set(AppointmentRequest.objects.all()) == set(kept)
    assert (
        Notification.objects.count(),
        Visit.objects.filter(pk=visit.pk).exists(),
        StatusChange.objects.count(),
    ) == (0, False, 0)


def test_dry_run_only_counts(requests_of_all_ages):
    output = purge("--older-than", "365", "--dry-run")

    assert output.startswith(
        "Dry run: would delete 5 closed request(s), 0 closed message(s) and "
        "5 notification record(s)"
    )
    assert (AppointmentRequest.objects.count(), Notification.objects.count()) == (8, 5)


def test_without_older_than_the_practice_retention_period_applies(
    requests_of_all_ages, practice
):
    practice.request_retention_days = 500
    practice.save()
    assert purge().startswith("Deleted 0 closed request(s)")

    practice.request_retention_days = 30
    practice.save()
    assert purge().startswith("Deleted 5 closed request(s)")


def test_nothing_is_deleted_when_no_retention_period_is_set(
    requests_of_all_ages, practice
):
    output = purge()

    assert output.startswith("No retention period: pass --older-than DAYS")
    assert AppointmentRequest.objects.count() == 8


def test_older_than_must_be_positive():
    with pytest.raises(CommandError, match="at least 1 day"):
        purge("--older-than", "0")
