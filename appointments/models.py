import datetime
import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeOperators,
)
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from clinic.models import Weekday

# Crockford's base32 without the letters patients confuse on the phone (I, L, O, U).
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "KEN-"
REFERENCE_LENGTH = 5


def new_reference() -> str:
    """A short reference the patient can read out, e.g. KEN-7F3Q2 (32^5 ≈ 33 million values)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
    )


def short_name(name: str) -> str:
    """“Jane Doe” → “Jane D.”: enough for staff to tell rows apart, no more."""
    parts = name.split()
    if not parts:
        return "(no name)"
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    SPAM = "spam", "Spam"


class MessageStatus(models.TextChoices):
    NEW = "new", "New"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"
    SPAM = "spam", "Spam"


class SpamReason(models.TextChoices):
    HONEYPOT = "honeypot", "Filled in a field hidden from people"
    TOO_FAST = "too_fast", "Sent faster than a person can type"
    EXPIRED_FORM = "expired_form", "Form timestamp missing or tampered with"


class PatientType(models.TextChoices):
    NEW = "new", "New patient"
    RETURNING = "returning", "Returning patient"


class Reason(models.TextChoices):
    NEUROPATHY = "neuropathy", "Neuropathy or nerve pain"
    BACK_PAIN = "back_pain", "Back pain"
    NECK_PAIN = "neck_pain", "Neck pain"
    OTHER = "other", "Other"


class TimeOfDay(models.TextChoices):
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class SubmissionQuerySet(models.QuerySet):
    def genuine(self):
        return self.filter(is_spam=False)

    def caught_as_spam(self):
        return self.filter(is_spam=True)


class Submission(models.Model):
    """What appointment requests and contact messages share: reference, token, spam flag."""

    reference = models.CharField(
        max_length=12,
        unique=True,
        default=new_reference,
        editable=False,
        help_text="Quote this reference when you speak to the patient.",
    )
    # One per rendered form: a double click, refresh or retry of the same form finds the row
    # already created by the first post instead of creating a second one.
    submission_token = models.UUIDField(default=uuid.uuid4, editable=False)
    is_spam = models.BooleanField(
        "caught as spam",
        default=False,
        help_text="Set automatically when the spam checks catch a submission. Spam is never notified; use the “Not spam” action to recover it.",
    )
    spam_reason = models.CharField(
        max_length=20, choices=SpamReason.choices, blank=True, editable=False
    )
    created_at = models.DateTimeField("received", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return (
            f"{short_name(self.name)}, {timezone.localdate(self.created_at):%Y-%m-%d}"
        )

    @property
    def admin_url(self) -> str:
        """Absolute link to this row in the admin, for staff notifications."""
        opts = self._meta
        path = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.pk]
        )
        return f"{settings.SITE_URL}{path}"


class AppointmentRequestQuerySet(SubmissionQuerySet):
    def overdue(self, now=None):
        """New requests nobody has answered within one business day."""
        return self.filter(
            status=RequestStatus.NEW,
            is_spam=False,
            created_at__lt=one_business_day_before(now or timezone.now()),
        )

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)


class AppointmentRequest(Submission):
    patient_type = models.CharField(
        "new or returning", max_length=10, choices=PatientType.choices
    )
    reason = models.CharField(
        "reason for the visit", max_length=20, choices=Reason.choices
    )
    note = models.CharField(max_length=500, blank=True)
    preferred_weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices),
        blank=True,
        default=list,
    )
    preferred_times_of_day = ArrayField(
        models.CharField(max_length=10, choices=TimeOfDay.choices),
        blank=True,
        default=list,
    )
    preferred_dates = ArrayField(
        models.DateField(),
        blank=True,
        default=list,
        help_text="Specific days the patient asked for, in Boston time.",
    )
    name = models.CharField(max_length=120)
    phone = PhoneNumberField()
    email = models.EmailField(blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices
    )
    has_acknowledged_privacy_notice = models.BooleanField(
        "acknowledged the privacy notice", default=False
    )
    has_consented_to_contact = models.BooleanField(
        "consented to be contacted", default=False
    )
    source_article = models.ForeignKey(
        "education.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment_requests",
        help_text="The patient-education article the patient came from, if any.",
    )
    # Kept as typed at the time: it still says where the patient came from after the article
    # is deleted.
    source_article_slug = models.SlugField(
        "source article",
        max_length=200,
        blank=True,
        help_text="The patient-education article the patient came from, if any.",
    )
    status = models.CharField(
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.NEW,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(
        "status since",
        default=timezone.now,
        editable=False,
        help_text="When the status last changed; the retention period counts from here.",
    )
    internal_notes = models.TextField(
        blank=True,
        help_text="For staff only, never sent to the patient: calls made, what was agreed.",
    )

    objects = AppointmentRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "appointment request"
        verbose_name_plural = "appointment requests"
        ordering = ["-created_at"]
        permissions = [("export_appointmentrequest", "Can export appointment requests")]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_token"],
                name="appointment_request_one_per_token",
            ),
            models.CheckConstraint(
                condition=~Q(preferred_contact_method=ContactMethod.EMAIL)
                | ~Q(email=""),
                name="appointment_request_email_when_contact_by_email",
            ),
        ]

    def preferred_times_summary(self) -> str:
        """“Mon, Wed mornings; Nov 3” — the patient's wishes in one short line."""
        parts = []
        if self.preferred_weekdays:
            days = ", ".join(
                Weekday(day).label[:3] for day in sorted(self.preferred_weekdays)
            )
            times = " or ".join(
                TimeOfDay(time).label.lower() for time in self.preferred_times_of_day
            )
            parts.append(f"{days} {times}".strip())
        elif self.preferred_times_of_day:
            parts.append(
                " or ".join(
                    TimeOfDay(t).label.lower() for t in self.preferred_times_of_day
                )
            )
        if self.preferred_dates:
            parts.append(
                ", ".join(f"{day:%b %-d}" for day in sorted(self.preferred_dates))
            )
        return "; ".join(parts) or "Any time"


class ContactMessage(Submission):
    name = models.CharField(max_length=120)
    phone = PhoneNumberField(blank=True)
    email = models.EmailField(blank=True)
    message = models.CharField(max_length=2000)
    status = models.CharField(
        max_length=20,
        choices=MessageStatus.choices,
        default=MessageStatus.NEW,
        db_index=True,
    )

    class Meta:
        verbose_name = "contact message"
        verbose_name_plural = "contact messages"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_token"], name="contact_message_one_per_token"
            ),
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email=""),
                name="contact_message_phone_or_email",
            ),
        ]


class NotificationKind(models.TextChoices):
    # The email for each kind is rendered at delivery time by appointments/notifications.py.
    STAFF_NEW_REQUEST = "staff_new_request", "New request (to the front desk)"
    PATIENT_ACKNOWLEDGEMENT = (
        "patient_acknowledgement",
        "Request received (to the patient)",
    )
    STAFF_NEW_MESSAGE = "staff_new_message", "New message (to the front desk)"
    MESSAGE_ACKNOWLEDGEMENT = (
        "message_acknowledgement",
        "Message received (to the patient)",
    )
    VISIT_CONFIRMATION = "visit_confirmation", "Visit confirmation (to the patient)"
    VISIT_REMINDER = "visit_reminder", "Visit reminder (to the patient)"
    CANCELLATION_NOTICE = "cancellation_notice", "Cancellation (to the front desk)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class NotificationQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending and due, or left “sending” by a worker that died (its lease ran out)."""
        now = now or timezone.now()
        lease = timezone.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        return self.filter(
            Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=NotificationStatus.SENDING, locked_at__lt=now - lease)
        )

    def undelivered(self):
        return self.exclude(status=NotificationStatus.SENT)


class Notification(models.Model):
    """One email to send (the transactional outbox): created with its request, sent by the worker."""

    appointment_request = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    contact_message = models.ForeignKey(
        ContactMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    recipient = models.EmailField()
    status = models.CharField(
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the last attempt failed (the mail server's answer; never patient data).",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    visit = models.ForeignKey(
        "Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The visit a confirmation, reminder or cancellation is about.",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(appointment_request__isnull=False, contact_message__isnull=True)
                    | Q(appointment_request__isnull=True, contact_message__isnull=False)
                ),
                name="notification_about_exactly_one_submission",
            ),
            # The reminder job may run twice (or on two workers): the second insert loses.
            models.UniqueConstraint(
                fields=["visit", "kind"],
                condition=Q(kind="visit_reminder"),
                name="notification_one_reminder_per_visit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.submission.reference}"

    @property
    def submission(self):
        return self.appointment_request or self.contact_message


# --- Front desk: status workflow, visits, audit -----------------------------------------------

CLOSED_STATUSES = [
    RequestStatus.COMPLETED,
    RequestStatus.DECLINED,
    RequestStatus.CANCELLED,
    RequestStatus.NO_SHOW,
    RequestStatus.SPAM,
]

# The steps staff may take from each status. Scheduling happens through “Schedule a visit”
# (which books the time), so "scheduled" is reached only that way.
ALLOWED_TRANSITIONS = {
    RequestStatus.NEW: [
        RequestStatus.CONTACTED,
        RequestStatus.DECLINED,
        RequestStatus.CANCELLED,
        RequestStatus.SPAM,
    ],
    RequestStatus.CONTACTED: [RequestStatus.DECLINED, RequestStatus.CANCELLED],
    RequestStatus.SCHEDULED: [
        RequestStatus.COMPLETED,
        RequestStatus.NO_SHOW,
        RequestStatus.CANCELLED,
    ],
    RequestStatus.COMPLETED: [],
    # Reopening: the patient called back, or staff closed the request by mistake.
    RequestStatus.DECLINED: [RequestStatus.CONTACTED],
    RequestStatus.CANCELLED: [RequestStatus.CONTACTED],
    RequestStatus.NO_SHOW: [RequestStatus.CONTACTED],
    RequestStatus.SPAM: [RequestStatus.NEW],
}
SCHEDULABLE_STATUSES = [
    RequestStatus.NEW,
    RequestStatus.CONTACTED,
    RequestStatus.NO_SHOW,
    RequestStatus.CANCELLED,
]


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def is_business_day(day: datetime.date) -> bool:
    """A day the practice is open: its opening hours and closures, else Monday to Friday."""
    from clinic.models import Practice

    practice = Practice.get_current()
    is_open = practice.is_open_on(day) if practice else None
    return day.weekday() < 5 if is_open is None else is_open


def one_business_day_before(moment: datetime.datetime) -> datetime.datetime:
    """The moment 24 business hours (weekends and closed days not counted) before `moment`."""
    local = timezone.localtime(moment)
    day = local.date()
    into_day = local - _start_of_day(day)
    remaining = datetime.timedelta(days=1)
    for _ in range(60):
        if is_business_day(day):
            if into_day >= remaining:
                return _start_of_day(day) + (into_day - remaining)
            remaining -= into_day
        day -= datetime.timedelta(days=1)
        into_day = datetime.timedelta(days=1)
    return local - datetime.timedelta(days=1)


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
