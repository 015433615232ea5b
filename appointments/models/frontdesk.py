"""The front desk's records: the status history, booked visits and the audit trail."""

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeOperators,
)
from django.core import signing
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format

from .requests import AppointmentRequest, RequestStatus

# A cancel link works until its visit begins, however far ahead the visit was booked (the page
# refuses once it has begun); it can only ever cancel that one visit.
CANCEL_LINK_SALT = "appointments.visit-cancel"


def practitioner_name(user) -> str:
    return user.get_full_name() or user.get_username()


class StatusChange(models.Model):
    """One step of a request's workflow: who moved it, when, from what to what."""

    appointment_request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField("from", max_length=20, choices=RequestStatus.choices)
    to_status = models.CharField("to", max_length=20, choices=RequestStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the patient did it, e.g. through the cancel link.",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "status change"
        verbose_name_plural = "status changes"
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class VisitQuerySet(models.QuerySet):
    def booked(self):
        return self.filter(cancelled_at__isnull=True)

    def between(self, start: datetime.datetime, end: datetime.datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def for_cancel_token(self, token: str) -> "Visit":
        """The visit a cancel link is for. Raises signing.BadSignature for a changed link."""
        data = signing.loads(token, salt=CANCEL_LINK_SALT)
        try:
            return self.select_related("appointment_request").get(pk=data["visit"])
        except (Visit.DoesNotExist, KeyError, TypeError):
            raise signing.BadSignature("No such visit") from None


class Visit(models.Model):
    """A booked time with a practitioner for one appointment request."""

    appointment_request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="visits"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text="Who sees the patient (a staff account).",
    )
    starts_at = models.DateTimeField("starts", db_index=True)
    duration = models.DurationField(default=datetime.timedelta(minutes=30))
    ends_at = models.DateTimeField("ends", editable=False)
    # The calendar UID: the same for every email about this visit, so calendars update it.
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(
        max_length=500, blank=True, help_text="What the patient wrote when cancelling."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = "visit"
        verbose_name_plural = "visits"
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="visit_ends_after_start"
            ),
            # Two staff booking the same practitioner at the same moment: the database
            # refuses the second overlapping visit, whatever the application checked first.
            ExclusionConstraint(
                name="visit_practitioner_no_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("practitioner", RangeOperators.EQUAL),
                ],
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.appointment_request.reference}, {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.ends_at = self.starts_at + self.duration
        super().save(*args, **kwargs)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def time_in_words(self) -> str:
        """“Tuesday, November 3, 2026, 10:00 a.m. to 10:30 a.m.” in Boston time."""
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{date_format(start, 'l, F j, Y')}, {date_format(start, 'g:i a')} to {date_format(end, 'g:i a')}"

    @property
    def cancel_token(self) -> str:
        """The signed part of the patient's cancel link (see VisitQuerySet.for_cancel_token)."""
        return signing.dumps({"visit": self.pk}, salt=CANCEL_LINK_SALT, compress=True)


class AccessRecord(models.Model):
    """The audit trail: who opened which request's page, who exported which requests."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed a request"
        EXPORTED = "exported", "Exported requests"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Kept when the account is deleted, so the trail still says who it was.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=10, choices=Action.choices)
    references = ArrayField(
        models.CharField(max_length=12),
        help_text="The references of the requests concerned.",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "access record"
        verbose_name_plural = "access records"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.username} {self.get_action_display().lower()} ({self.at:%Y-%m-%d %H:%M})"
