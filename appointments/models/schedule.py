"""The practice's schedule: practitioners, visit types, visits (single or in a series) and the
history of every change to a visit."""

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core import signing
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from .patients import Patient
from .requests import AppointmentRequest, new_reference

# A cancel link works until its visit begins, however far ahead the visit was booked (the page
# refuses once it has begun, and inside the late-cancel window it asks the patient to call);
# it can only ever act on that one visit.
CANCEL_LINK_SALT = "appointments.visit-cancel"


class Practitioner(models.Model):
    """Someone patients can be booked with; they need no admin account to be bookable."""

    name = models.CharField(max_length=120, help_text="As patients know them.")
    credentials = models.CharField(
        max_length=40, blank=True, help_text="Letters after the name, e.g. “D.C.”."
    )
    is_bookable = models.BooleanField(
        "can be booked",
        default=True,
        help_text="Untick for someone who no longer sees patients; their past visits stay.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practitioner",
        verbose_name="staff account",
        help_text="Optional: the practitioner's own sign-in, if they have one.",
    )
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers come first in lists and the calendar."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "practitioner"
        verbose_name_plural = "practitioners"
        ordering = ["order", "name", "pk"]

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class VisitTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def bookable_online(self):
        """The types patients may pick a time for on the website (in use and ticked)."""
        return self.active().filter(is_bookable_online=True)


class VisitType(models.Model):
    """A kind of visit with its length, e.g. “New patient exam, 45 min”."""

    name = models.CharField(max_length=80, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "length (minutes)", help_text="How long the visit itself takes."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "buffer after (minutes)",
        default=0,
        help_text="Time kept free after the visit (notes, cleaning); nobody can be booked in it.",
    )
    is_for_new_patients = models.BooleanField(
        "new patients may have it",
        default=True,
        help_text="Untick for visits only for patients already seen (e.g. a follow-up).",
    )
    is_active = models.BooleanField(
        "in use",
        default=True,
        help_text="Untick to stop offering it; past visits keep it.",
    )
    is_bookable_online = models.BooleanField(
        "patients may book it online",
        default=False,
        help_text="Tick to let patients pick a time for it on the website (once online "
        "booking is switched on in the practice information). Leave unticked for visits "
        "the front desk should arrange by phone.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = VisitTypeQuerySet.as_manager()

    class Meta:
        verbose_name = "visit type"
        verbose_name_plural = "visit types"
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="visit_type_sensible_length",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.duration_minutes} min"

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)

    @property
    def buffer(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.buffer_minutes)


class VisitSource(models.TextChoices):
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"
    WEB = "web", "Web request"
    ONLINE = "online", "Picked online"


class VisitStatus(models.TextChoices):
    # A time a patient picked online, kept for them until staff confirm or decline it (or
    # the practice's hold length runs out). It blocks the time exactly like a booked visit.
    HELD = "held", "Held, to confirm"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"
    # A hold staff turned down, and a hold nobody answered in time: neither keeps its time.
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Hold expired"


# The statuses whose visit no longer has its time: anyone may be booked into it. Everything
# else (held, booked, arrived, completed, no-show) keeps it, for the exclusion constraint too.
FREED_STATUSES = (VisitStatus.CANCELLED, VisitStatus.DECLINED, VisitStatus.EXPIRED)


class CallNeeded(models.TextChoices):
    """Patients without an email are told by phone: what the front desk still has to say."""

    NONE = "", "Nothing"
    CONFIRM = "confirm", "Call to confirm the visit"
    TELL_CHANGE = "tell_change", "Call to tell them the new time"
    TELL_CANCEL = "tell_cancel", "Call to tell them it is cancelled"


class VisitSeries(models.Model):
    """Visits booked together, e.g. every Tuesday and Thursday at 10:00 for six weeks."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="visit_series"
    )
    description = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "series of visits"
        verbose_name_plural = "series of visits"
        ordering = ["-created_at"]

    def __str__(self):
        return self.description


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class VisitQuerySet(models.QuerySet):
    def booked(self):
        """Visits that keep their time: all but cancelled, declined and expired ones (held
        visits included, as the exclusion constraint counts them)."""
        return self.exclude(status__in=FREED_STATUSES)

    def held(self):
        """Times patients picked online that staff have still to confirm or decline."""
        return self.filter(status=VisitStatus.HELD)

    def hold_expired(self, now: datetime.datetime | None = None):
        """Held visits whose hold has run out (the expiry task frees them)."""
        return self.held().filter(hold_expires_at__lte=now or timezone.now())

    def between(self, start: datetime.datetime, end: datetime.datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def blocking(self, start: datetime.datetime, end: datetime.datetime):
        """Booked visits whose time, buffer included, overlaps [start, end)."""
        return self.booked().filter(starts_at__lt=end, blocked_until__gt=start)

    def for_cancel_token(self, token: str) -> "Visit":
        """The visit a cancel link is for. Raises signing.BadSignature for a changed link."""
        data = signing.loads(token, salt=CANCEL_LINK_SALT)
        try:
            return self.select_related("patient").get(pk=data["visit"])
        except (Visit.DoesNotExist, KeyError, TypeError):
            raise signing.BadSignature("No such visit") from None


class Visit(models.Model):
    """A booked time with a practitioner for a patient."""

    reference = models.CharField(
        max_length=12,
        unique=True,
        default=new_reference,
        editable=False,
        help_text="The patient may quote it; their emails carry it.",
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="visits"
    )
    appointment_request = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        help_text="The web request it was booked from, if any.",
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="visits"
    )
    visit_type = models.ForeignKey(
        VisitType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    source = models.CharField(
        "booked by",
        max_length=10,
        choices=VisitSource.choices,
        default=VisitSource.PHONE,
    )
    series = models.ForeignKey(
        VisitSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    starts_at = models.DateTimeField("starts", db_index=True)
    duration = models.DurationField(default=datetime.timedelta(minutes=30))
    ends_at = models.DateTimeField("ends", editable=False)
    buffer = models.DurationField(
        "buffer after", default=datetime.timedelta(0), editable=False
    )
    # The end of the time nobody else can have: the visit plus its type's buffer.
    blocked_until = models.DateTimeField(editable=False)
    status = models.CharField(
        max_length=10, choices=VisitStatus.choices, default=VisitStatus.BOOKED
    )
    # The calendar UID stays the same for every email about this visit, so calendars update
    # their event; SEQUENCE goes up with each change (RFC 5545).
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    call_needed = models.CharField(
        "still to tell the patient",
        max_length=12,
        choices=CallNeeded.choices,
        blank=True,
        default=CallNeeded.NONE,
    )
    hold_expires_at = models.DateTimeField(
        "hold ends",
        null=True,
        blank=True,
        editable=False,
        help_text="For a time held online: when it is freed unless someone confirms it.",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why it was cancelled (the patient's words when they cancelled online).",
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
            models.CheckConstraint(
                condition=Q(blocked_until__gte=F("ends_at")),
                name="visit_blocked_until_after_end",
            ),
            # Two staff booking the same practitioner at the same moment: the database
            # refuses the second overlapping visit, whatever the application checked first.
            ExclusionConstraint(
                name="visit_practitioner_no_overlap",
                expressions=[
                    (TsTzRange("starts_at", "blocked_until"), RangeOperators.OVERLAPS),
                    ("practitioner", RangeOperators.EQUAL),
                ],
                # Held visits count, as booked ones do; freed ones do not.
                condition=~Q(status__in=["cancelled", "declined", "expired"]),
            ),
        ]

    def __str__(self):
        return f"{self.reference}, {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.ends_at = self.starts_at + self.duration
        self.blocked_until = self.ends_at + self.buffer
        super().save(*args, **kwargs)

    def get_admin_url(self) -> str:
        return reverse("admin:appointments_visit_change", args=[self.pk])

    @property
    def length_in_words(self) -> str:
        """“30 min”, or “45 min, then 15 min kept free” with a buffer."""
        minutes = int(self.duration.total_seconds() // 60)
        buffer = int(self.buffer.total_seconds() // 60)
        return f"{minutes} min" + (f", then {buffer} min kept free" if buffer else "")

    @property
    def patient_reference(self) -> str:
        """The reference the patient knows: their web request's, else the visit's own."""
        request = self.appointment_request
        return request.reference if request else self.reference

    @property
    def staff_label(self) -> str:
        """How staff messages name it: by its web request if it has one, else by itself."""
        request = self.appointment_request
        return f"request {request.reference}" if request else f"visit {self.reference}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == VisitStatus.CANCELLED

    @property
    def is_held(self) -> bool:
        return self.status == VisitStatus.HELD

    @property
    def was_only_held(self) -> bool:
        """Held online and never confirmed or booked (one query over its history)."""
        actions = set(self.changes.values_list("action", flat=True))
        return VisitChange.Action.HELD in actions and not actions & {
            VisitChange.Action.CONFIRMED,
            VisitChange.Action.BOOKED,
        }

    @property
    def is_freed(self) -> bool:
        """Cancelled, declined or expired: the visit no longer has its time."""
        return self.status in FREED_STATUSES

    @property
    def has_begun(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def time_in_words(self) -> str:
        """“Tuesday, November 3, 2026, 10:00 a.m. to 10:30 a.m.” in Boston time."""
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{date_format(start, 'l, F j, Y')}, {date_format(start, 'g:i a')} to {date_format(end, 'g:i a')}"

    @property
    def hold_ends_in_words(self) -> str:
        """“Wednesday, November 4, 2026, 10:00 a.m.” (Boston time), or "" without an end."""
        if self.hold_expires_at is None:
            return ""
        end = timezone.localtime(self.hold_expires_at)
        return f"{date_format(end, 'l, F j, Y')}, {date_format(end, 'g:i a')}"

    @property
    def cancel_token(self) -> str:
        """The signed part of the patient's cancel link (see VisitQuerySet.for_cancel_token)."""
        return signing.dumps({"visit": self.pk}, salt=CANCEL_LINK_SALT, compress=True)


class VisitChange(models.Model):
    """One thing that happened to a visit: who did it, when, and from what time to what."""

    class Action(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Moved"
        CANCELLED = "cancelled", "Cancelled"
        ARRIVED = "arrived", "Arrived"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"
        CALLED = "called", "Patient called"
        HELD = "held", "Held online"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Hold expired"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=12, choices=Action.choices)
    from_starts_at = models.DateTimeField("was", null=True, blank=True)
    to_starts_at = models.DateTimeField("now", null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the patient did it through their link.",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "visit change"
        verbose_name_plural = "visit changes"
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.changed_at:%Y-%m-%d %H:%M})"
