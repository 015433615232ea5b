"""The front desk's writes: status changes, booking visits, patient cancellations, the audit.

Each runs in a transaction; emails go through the outbox (a Notification row created in the
same transaction, delivered by the worker after commit).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import (
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
    practitioner_name,
)
from ..tasks import queue_reminder_job
from .intake import release_from_spam
from .outbox import deliver_after_commit, front_desk_email


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
        change = release_from_spam(submission=locked, by=by)
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
        f"{who} already has a visit on {clash.time_in_words} "
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
            notification_ids = []
            if locked.email:
                notification_ids.append(
                    Notification.objects.create(
                        appointment_request=locked,
                        visit=visit,
                        kind=NotificationKind.VISIT_CONFIRMATION,
                        recipient=locked.email,
                    ).pk
                )
            deliver_after_commit(notification_ids)
            transaction.on_commit(lambda: queue_reminder_job(visit))
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
        if address := front_desk_email():
            notification_ids.append(
                Notification.objects.create(
                    appointment_request=appointment_request,
                    visit=locked,
                    kind=NotificationKind.CANCELLATION_NOTICE,
                    recipient=address,
                ).pk
            )
        deliver_after_commit(notification_ids)
    visit.cancelled_at = locked.cancelled_at
    return True


def _drop_unsent_visit_mail(visits) -> None:
    """A cancelled visit gets no confirmation or reminder that has not gone out yet."""
    Notification.objects.filter(
        visit__in=visits,
        kind__in=[NotificationKind.VISIT_CONFIRMATION, NotificationKind.VISIT_REMINDER],
        status=NotificationStatus.PENDING,
    ).delete()


def record_access(*, user, action: str, references: list[str]) -> AccessRecord:
    return AccessRecord.objects.create(
        user=user, username=user.get_username(), action=action, references=references
    )
