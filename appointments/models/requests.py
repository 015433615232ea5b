"""What patients send: appointment requests and contact messages, and their statuses."""

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from clinic import calendar
from clinic.models import Practice, Weekday

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
# A request can be booked again once scheduled: a course of care is several visits.
SCHEDULABLE_STATUSES = [
    RequestStatus.NEW,
    RequestStatus.CONTACTED,
    RequestStatus.SCHEDULED,
    RequestStatus.NO_SHOW,
    RequestStatus.CANCELLED,
]


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


# Both statuses spell spam the same way: a submission is spam exactly when its status says so.
SPAM = "spam"


class SubmissionQuerySet(models.QuerySet):
    def genuine(self):
        return self.exclude(status=SPAM)

    def caught_as_spam(self):
        return self.filter(status=SPAM)


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
    spam_reason = models.CharField(
        "why it looks like spam",
        max_length=20,
        choices=SpamReason.choices,
        blank=True,
        editable=False,
        help_text="Set when the spam checks catch a submission. Caught spam is never notified; use the “Not spam” action to recover it.",
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
    def is_spam(self) -> bool:
        return self.status == SPAM

    def get_admin_url(self) -> str:
        opts = self._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.pk]
        )

    @property
    def admin_url(self) -> str:
        """Absolute link to this row in the admin, for staff notifications."""
        return f"{settings.SITE_URL}{self.get_admin_url()}"


class AppointmentRequestQuerySet(SubmissionQuerySet):
    def overdue(self, now=None):
        """New requests nobody has answered within one business day."""
        cutoff = calendar.one_business_day_before(
            Practice.get_current(), now or timezone.now()
        )
        return self.filter(status=RequestStatus.NEW, created_at__lt=cutoff)

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
    patient = models.ForeignKey(
        "Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment_requests",
        help_text="Found or created from the name, phone and email the patient gave.",
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
    patient = models.ForeignKey(
        "Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_messages",
        help_text="Found or created from the name, phone and email the sender gave.",
    )
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
