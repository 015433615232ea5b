"""Visit reminders: one email per visit, about 24 hours before it begins."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Notification, NotificationKind, Visit, VisitChange, VisitStatus

REMINDER_LEAD_TIME = datetime.timedelta(hours=24)


def queue_due_reminders(*, now: datetime.datetime | None = None) -> list[int]:
    """Create the reminder for every booked visit starting within 24 hours; ids of new ones.

    Safe to run any number of times, on any number of workers at once: the unique constraint on
    (visit, kind) lets exactly one reminder per visit exist. Visits booked less than a day
    ahead get none; their confirmation is recent enough. The caller queues their delivery.
    """
    now = now or timezone.now()
    already_reminded = Notification.objects.filter(
        visit=OuterRef("pk"),
        visit_sequence=OuterRef("sequence"),
        kind=NotificationKind.VISIT_REMINDER,
    )
    visits = (
        Visit.objects.filter(
            status=VisitStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_LEAD_TIME,
        )
        .exclude(patient__email="")
        .exclude(Exists(already_reminded))
        .select_related("patient")
    )
    created = []
    for visit in visits:
        if visit.starts_at - visit.created_at < REMINDER_LEAD_TIME:
            continue
        if visit.sequence and _moved_within_a_day(visit):
            continue
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        appointment_request_id=visit.appointment_request_id,
                        visit=visit,
                        visit_sequence=visit.sequence,
                        kind=NotificationKind.VISIT_REMINDER,
                        recipient=visit.patient.email,
                    ).pk
                )
        except IntegrityError:
            continue  # Another run created it a moment ago.
    return created


def _moved_within_a_day(visit) -> bool:
    """A visit moved less than a day before it begins: the move's email is reminder enough."""
    moved_at = (
        VisitChange.objects.filter(visit=visit, action=VisitChange.Action.RESCHEDULED)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )
    return moved_at is not None and visit.starts_at - moved_at < REMINDER_LEAD_TIME
