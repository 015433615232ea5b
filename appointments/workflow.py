"""The front desk's writes: status changes, booking visits, patient cancellations, reminders.

Each runs in a transaction; emails go through the outbox (a Notification row created in the
same transaction, delivered by the worker after commit).
"""

import datetime
import logging

from django.core import signing
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone
from django.utils.formats import date_format

from . import services
from .models import (
    ALLOWED_TRANSITIONS,
    SCHEDULABLE_STATUSES,
    AccessRecord,
    AppointmentRequest,
    Notification,
    NotificationKind,
    NotificationStatus,
    RequestStatus,
    StatusChange,
    Visit,
)
from .tasks import enqueue_delivery

logger = logging.getLogger(__name__)

REMINDER_LEAD_TIME = datetime.timedelta(hours=24)
# A cancel link works until its visit begins, however far ahead the visit was booked (the page
# refuses once it has begun); it can only ever cancel that one visit.
CANCEL_LINK_SALT = "appointments.visit-cancel"


class WorkflowError(Exception):
    """A step the front desk cannot take; the message says why, in staff's words."""


class VisitConflict(WorkflowError):
    pass


def _record_status(appointment_request, to_status, *, by) -> StatusChange:
    change = StatusChange.objects.create(
        appointment_request=appointment_request,
        from_status=appointment_request.status,
        to_status=to_status,
        changed_by=by,
    )
    appointment_request.status = to_status
    appointment_request.status_changed_at = change.changed_at
    appointment_request.save(
        update_fields=["status", "status_changed_at", "updated_at"]
    )
    return change


@transaction.atomic
def change_status(
    *, appointment_request: AppointmentRequest, to_status: str, by
) -> StatusChange | None:
    """Move a request one step along the workflow; None when it already has that status."""
    locked = AppointmentRequest.objects.select_for_update().get(
        pk=appointment_request.pk
    )
    if locked.status == to_status:
        return None
    if to_status not in ALLOWED_TRANSITIONS[locked.status]:
        raise WorkflowError(
            f"A request that is “{locked.get_status_display()}” cannot become "
            f"“{RequestStatus(to_status).label}”."
        )
    if locked.is_spam and to_status == RequestStatus.NEW:
        # Caught by the spam checks, so never notified: the release queues the usual emails.
        services.release_from_spam(submission=locked)
        change = StatusChange.objects.create(
            appointment_request=locked,
            from_status=RequestStatus.SPAM,
            to_status=RequestStatus.NEW,
            changed_by=by,
        )
        AppointmentRequest.objects.filter(pk=locked.pk).update(
            status_changed_at=change.changed_at
        )
        appointment_request.status = RequestStatus.NEW
        return change
    if to_status == RequestStatus.CANCELLED:
        # Staff cancelling (the patient phoned): the booked time is free again.
        upcoming = locked.visits.booked().filter(ends_at__gt=timezone.now())
        _drop_unsent_visit_mail(upcoming)
        upcoming.update(cancelled_at=timezone.now())
    change = _record_status(locked, to_status, by=by)
    appointment_request.status = locked.status
    appointment_request.status_changed_at = locked.status_changed_at
    return change


def change_statuses(*, appointment_requests, to_status: str, by) -> tuple[int, int]:
    """The admin actions' bulk version: (changed, skipped because not allowed from there)."""
    changed = skipped = 0
    for appointment_request in appointment_requests:
        try:
            if change_status(
                appointment_request=appointment_request, to_status=to_status, by=by
            ):
                changed += 1
        except WorkflowError:
            skipped += 1
    return changed, skipped


def practitioner_name(user) -> str:
    return user.get_full_name() or user.get_username()


def describe_visit_time(visit: Visit) -> str:
    """“Tuesday, November 3, 2026, 10:00 a.m. to 10:30 a.m.” in Boston time."""
    start = timezone.localtime(visit.starts_at)
    end = timezone.localtime(visit.ends_at)
    return f"{date_format(start, 'l, F j, Y')}, {date_format(start, 'g:i a')} to {date_format(end, 'g:i a')}"


def _conflict_message(*, practitioner, starts_at, ends_at) -> str:
    clash = (
        Visit.objects.booked()
        .filter(practitioner=practitioner)
        .between(starts_at, ends_at)
        .select_related("appointment_request")
        .first()
    )
    who = practitioner_name(practitioner)
    if clash is None:
        return f"{who} already has a visit at that time. Choose another time."
    return (
        f"{who} already has a visit on {describe_visit_time(clash)} "
        f"(request {clash.appointment_request.reference}). Choose another time or practitioner."
    )


def schedule_visit(
    *,
    appointment_request: AppointmentRequest,
    practitioner,
    starts_at: datetime.datetime,
    duration: datetime.timedelta,
    by,
) -> Visit:
    """Book a visit, mark the request scheduled and queue the patient's confirmation.

    Raises VisitConflict, naming the clashing visit, when the practitioner is already booked;
    the exclusion constraint decides, so two staff booking at the same moment cannot both win.
    """
    try:
        with transaction.atomic():
            locked = AppointmentRequest.objects.select_for_update().get(
                pk=appointment_request.pk
            )
            if locked.status not in SCHEDULABLE_STATUSES:
                raise WorkflowError(
                    f"A request that is “{locked.get_status_display()}” cannot be scheduled."
                )
            visit = Visit(
                appointment_request=locked,
                practitioner=practitioner,
                starts_at=starts_at,
                duration=duration,
                created_by=by,
            )
            visit.save()
            _record_status(locked, RequestStatus.SCHEDULED, by=by)
            notifications = []
            if locked.email:
                notifications.append(
                    Notification.objects.create(
                        appointment_request=locked,
                        visit=visit,
                        kind=NotificationKind.VISIT_CONFIRMATION,
                        recipient=locked.email,
                    )
                )
            transaction.on_commit(
                lambda: _after_booking(visit, [n.pk for n in notifications])
            )
    except IntegrityError as error:
        if "visit_practitioner_no_overlap" not in str(error):
            raise
        raise VisitConflict(
            _conflict_message(
                practitioner=practitioner,
                starts_at=starts_at,
                ends_at=starts_at + duration,
            )
        ) from None
    appointment_request.status = RequestStatus.SCHEDULED
    return visit


def _after_booking(visit: Visit, notification_ids: list[int]) -> None:
    _enqueue(notification_ids)
    try:
        queue_visit_reminders.using(
            run_after=max(visit.starts_at - REMINDER_LEAD_TIME, timezone.now())
        ).enqueue()
    except Exception:
        logger.exception("Could not queue the reminder job for visit %s", visit.pk)


def cancel_token(visit: Visit) -> str:
    return signing.dumps({"visit": visit.pk}, salt=CANCEL_LINK_SALT, compress=True)


def visit_for_cancel_token(token: str) -> Visit:
    """The visit a cancel link is for. Raises signing.BadSignature for a changed link."""
    data = signing.loads(token, salt=CANCEL_LINK_SALT)
    try:
        return Visit.objects.select_related("appointment_request").get(pk=data["visit"])
    except (Visit.DoesNotExist, KeyError, TypeError):
        raise signing.BadSignature("No such visit") from None


def cancel_visit_by_patient(*, visit: Visit, reason: str = "") -> bool:
    """The patient's cancel link: free the time, close the request, tell the front desk.

    False when there was nothing to cancel (already cancelled or already begun).
    """
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.is_cancelled or locked.starts_at <= timezone.now():
            return False
        _drop_unsent_visit_mail(Visit.objects.filter(pk=locked.pk))
        locked.cancelled_at = timezone.now()
        locked.cancellation_reason = reason[:500]
        locked.save(update_fields=["cancelled_at", "cancellation_reason", "updated_at"])
        appointment_request = AppointmentRequest.objects.select_for_update().get(
            pk=locked.appointment_request_id
        )
        if appointment_request.status == RequestStatus.SCHEDULED:
            _record_status(appointment_request, RequestStatus.CANCELLED, by=None)
        notification_ids = []
        if address := services.front_desk_email():
            notification_ids.append(
                Notification.objects.create(
                    appointment_request=appointment_request,
                    visit=locked,
                    kind=NotificationKind.CANCELLATION_NOTICE,
                    recipient=address,
                ).pk
            )
        transaction.on_commit(lambda: _enqueue(notification_ids))
    visit.cancelled_at = locked.cancelled_at
    return True


def _drop_unsent_visit_mail(visits) -> None:
    """A cancelled visit gets no confirmation or reminder that has not gone out yet."""
    Notification.objects.filter(
        visit__in=visits,
        kind__in=[NotificationKind.VISIT_CONFIRMATION, NotificationKind.VISIT_REMINDER],
        status=NotificationStatus.PENDING,
    ).delete()


def _enqueue(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        enqueue_delivery(notification_id)


def queue_due_reminders(*, now: datetime.datetime | None = None) -> list[int]:
    """Create the reminder for every booked visit starting within 24 hours; ids of new ones.

    Safe to run any number of times, on any number of workers at once: the unique constraint on
    (visit, kind) lets exactly one reminder per visit exist. Visits booked less than a day
    ahead get none; their confirmation is recent enough.
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
    if created:
        transaction.on_commit(lambda: _enqueue(created))
    return created


@task()
def queue_visit_reminders() -> int:
    """The worker's reminder job (queued for each visit's start minus 24 hours)."""
    return len(queue_due_reminders())


def record_access(*, user, action: str, references: list[str]) -> AccessRecord:
    return AccessRecord.objects.create(
        user=user, username=user.get_username(), action=action, references=references
    )
