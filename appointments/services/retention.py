"""Retention: what the privacy notice promises, kept in one place.

Once the retention period (the practice's "keep requests and messages for (days)") has passed
since anything last happened to a request or a message, it goes, with everything hanging on it:
its notifications, visits booked from it and their changes, its status history. "Anything
happened" is a status step, a visit (or a change to one) ending after the cutoff, or, while the
request is still open (new, contacted, scheduled), any edit: a request nobody closed is not kept
forever, it goes the same period after it was last worked on. Contact messages go the period
after their last change, whatever their status.

What is left of a patient once their requests and messages are gone (a record nobody booked a
visit for, untouched for the period) goes too: it was made from those submissions and holds the
same name, phone and email. Patients with visits are the practice's schedule and are kept.

Whatever names or points at a deleted row goes with it, found by following every foreign key
Django would cascade (the deletion Collector), so a model added later is covered without a word
here: the admin's log entries about those rows (their text names the patient) and background
task results whose arguments are their ids. Housekeeping that holds the same kind of trace goes
on the same schedule: expired sessions, sign-in attempts and logs, finished task results. The
access records (who opened or exported what) are the audit trail and stay: they hold
references and patient numbers only.

To retire more kinds of record, add a queryset of its expired rows to a pass in
`expired_records()` (the first pass, or the second if rows only expire once the first pass has
emptied them); the rest follows. A task whose first argument is the id of a row: add it to
TASK_ARGUMENT_MODELS.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.deletion import Collector
from django_tasks_db.models import DBTaskResult

from ..models import (
    CLOSED_STATUSES,
    AppointmentRequest,
    ContactMessage,
    Notification,
    Patient,
    Visit,
    VisitSeries,
)
from ..tasks import deliver_notification

# Tasks whose first argument is the id of a row of this model.
TASK_ARGUMENT_MODELS = {deliver_notification.module_path: Notification}


@dataclass
class PurgeReport:
    cutoff: datetime.datetime
    # Rows deleted, by the plural name staff know them by ("appointment requests": 3).
    deleted: Counter = field(default_factory=Counter)
    # Traces that named them, and housekeeping ("admin log entries": 2).
    forgotten: Counter = field(default_factory=Counter)


def _latest_visit(field_name):
    return Subquery(
        Visit.objects.filter(appointment_request=OuterRef("pk"))
        .order_by(f"-{field_name}")
        .values(field_name)[:1]
    )


def expired_requests(cutoff):
    """Requests nothing has happened to since `cutoff` (open ones included)."""
    requests = AppointmentRequest.objects.annotate(
        last_visit_end=_latest_visit("ends_at"),
        last_visit_change=_latest_visit("updated_at"),
    )
    quiet_visits = (Q(last_visit_end__isnull=True) | Q(last_visit_end__lt=cutoff)) & (
        Q(last_visit_change__isnull=True) | Q(last_visit_change__lt=cutoff)
    )
    untouched = Q(status__in=CLOSED_STATUSES) | Q(updated_at__lt=cutoff)
    return requests.filter(quiet_visits, untouched, status_changed_at__lt=cutoff)


def expired_messages(cutoff):
    return ContactMessage.objects.filter(updated_at__lt=cutoff)


def empty_series(cutoff):
    """Series of visits whose visits have all gone."""
    return VisitSeries.objects.filter(created_at__lt=cutoff).exclude(
        Exists(Visit.objects.filter(series=OuterRef("pk")))
    )


def patients_left_with_nothing(cutoff):
    """Patient records with no request, message, visit or series left, untouched since `cutoff`."""
    about = OuterRef("pk")
    return Patient.objects.filter(created_at__lt=cutoff, updated_at__lt=cutoff).exclude(
        Exists(AppointmentRequest.objects.filter(patient=about))
        | Exists(ContactMessage.objects.filter(patient=about))
        | Exists(Visit.objects.filter(patient=about))
        | Exists(VisitSeries.objects.filter(patient=about))
    )


def expired_records(cutoff):
    """What has passed the retention period, in passes: a pass sees what the one before left."""
    return [
        [expired_requests(cutoff), expired_messages(cutoff)],
        [empty_series(cutoff), patients_left_with_nothing(cutoff)],
    ]


@transaction.atomic
def purge_expired(*, cutoff: datetime.datetime, dry_run: bool = False) -> PurgeReport:
    """Delete everything past the retention period; with `dry_run`, only count it."""
    report = PurgeReport(cutoff=cutoff)
    for records in expired_records(cutoff):
        # Plain querysets for the Collector, whatever annotations chose the rows.
        _purge(
            [
                queryset.model.objects.filter(pk__in=queryset.values("pk"))
                for queryset in records
            ],
            report,
        )
    _housekeeping(cutoff, report)
    if dry_run:
        # Counted by doing it: the second pass sees exactly what the first would leave.
        transaction.set_rollback(True)
    return report


def _purge(querysets, report):
    collector = Collector(using=DEFAULT_DB_ALIAS)
    for queryset in querysets:
        collector.collect(queryset)
    doomed = defaultdict(set)
    for model, instances in collector.data.items():
        doomed[model] |= {instance.pk for instance in instances}
    for queryset in collector.fast_deletes:
        doomed[queryset.model] |= set(queryset.values_list("pk", flat=True))
    doomed = {model: pks for model, pks in doomed.items() if pks}
    if not doomed:
        return
    report.forgotten["admin log entries"] += _forget_log_entries(doomed)
    report.forgotten["task results"] += _forget_task_results(doomed)
    by_label = {model._meta.label: model for model in doomed}
    _, per_model = collector.delete()
    for label, count in per_model.items():
        if count:
            report.deleted[str(by_label[label]._meta.verbose_name_plural)] += count


def _forget_log_entries(doomed) -> int:
    names_them = Q(pk__in=[])
    for model, pks in doomed.items():
        # The admin logs a proxy model's rows under the proxy's own content type.
        names_them |= Q(
            content_type__in=[
                ContentType.objects.get_for_model(each, for_concrete_model=False)
                for each in apps.get_models()
                if each._meta.concrete_model is model
            ],
            object_id__in=[str(pk) for pk in pks],
        )
    count, _ = LogEntry.objects.filter(names_them).delete()
    return count


def _forget_task_results(doomed) -> int:
    names_them = Q(pk__in=[])
    for task_path, model in TASK_ARGUMENT_MODELS.items():
        if pks := doomed.get(model):
            names_them |= Q(task_path=task_path, args_kwargs__args__0__in=sorted(pks))
    # A task running right now finishes on its own row; the next purge takes it.
    count, _ = (
        DBTaskResult.objects.filter(names_them).exclude(status="RUNNING").delete()
    )
    return count


def _housekeeping(cutoff, report):
    # What `manage.py clearsessions` does: a patient's session holds their last reference.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    sign_ins = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        sign_ins += model.objects.filter(attempt_time__lt=cutoff).delete()[0]
    report.forgotten["sign-in records"] += sign_ins
    finished = DBTaskResult.objects.filter(
        finished_at__lt=cutoff, status__in=["SUCCESSFUL", "FAILED"]
    )
    report.forgotten["task results"] += finished.delete()[0]
