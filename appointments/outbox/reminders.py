"""Visit reminders: one email per visit, about 24 hours before it begins."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Notification, NotificationKind, RequestStatus, Visit

REMINDER_LEAD_TIME = datetime.timedelta(hours=24)


def queue_due_reminders(*, now: datetime.datetime | None = None) -> list[int]:
    """Create the reminder for every booked visit starting within 24 hours; ids of new ones.

    Safe to run any number of times, on any number of workers at once: the unique constraint on
    (visit, kind) lets exactly one reminder per visit exist. Visits booked less than a day
    ahead get none; their confirmation is recent enough. The caller queues their delivery.
    """
    now = now or timezone.now()
    visits = (
        Visit.objects.booked()
        .filter(
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_LEAD_TIME,
            appointment_request__status=RequestStatus.SCHEDULED,
        )
        .exclude(appointment_request__email="")
        .exclude(notifications__kind=NotificationKind.VISIT_REMINDER)
        .select_related("appointment_request")
    )
    created = []
    for visit in visits:
        if visit.starts_at - visit.created_at < REMINDER_LEAD_TIME:
            continue
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        appointment_request=visit.appointment_request,
                        visit=visit,
                        kind=NotificationKind.VISIT_REMINDER,
                        recipient=visit.appointment_request.email,
                    ).pk
                )
        except IntegrityError:
            continue  # Another run created it a moment ago.
    return created
