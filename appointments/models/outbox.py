"""The outbox: one row per email to send, created in the same transaction as its cause."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .requests import AppointmentRequest, ContactMessage


class NotificationKind(models.TextChoices):
    # The email for each kind is rendered at delivery time by appointments/outbox/emails.py.
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
    VISIT_SERIES_CONFIRMATION = (
        "visit_series_confirmation",
        "Series of visits confirmation (to the patient)",
    )
    VISIT_MOVED = "visit_moved", "Visit moved (to the patient)"
    VISIT_CANCELLED = "visit_cancelled", "Visit cancelled (to the patient)"
    CANCELLATION_NOTICE = "cancellation_notice", "Cancellation (to the front desk)"
    MOVE_NOTICE = "move_notice", "Visit moved online (to the front desk)"
    WAITLIST_OFFER = "waitlist_offer", "Earlier time offered (to the patient)"
    VISIT_HELD = "visit_held", "Time held, to confirm (to the patient)"
    HOLD_DECLINED = "hold_declined", "Held time declined (to the patient)"
    HOLD_EXPIRED = "hold_expired", "Held time expired (to the patient)"
    HOLD_RELEASED = "hold_released", "Held time let go (to the patient)"
    STAFF_NEW_HOLD = "staff_new_hold", "Time held online (to the front desk)"


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
    # Which version of the visit (Visit.sequence) the email describes: a moved visit gets a
    # new reminder, and its calendar file the right SEQUENCE.
    visit_sequence = models.PositiveIntegerField(default=0)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # About one request or one message; a visit booked by phone has neither.
            models.CheckConstraint(
                condition=(
                    Q(appointment_request__isnull=False, contact_message__isnull=True)
                    | Q(appointment_request__isnull=True, contact_message__isnull=False)
                    | Q(
                        appointment_request__isnull=True,
                        contact_message__isnull=True,
                        visit__isnull=False,
                    )
                ),
                name="notification_about_one_thing",
            ),
            # The reminder job may run twice (or on two workers): the second insert loses.
            models.UniqueConstraint(
                fields=["visit", "visit_sequence", "kind"],
                condition=Q(kind="visit_reminder"),
                name="notification_one_reminder_per_visit_time",
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
        return f"{self.get_kind_display()} for {self.reference}"

    @property
    def submission(self):
        return self.appointment_request or self.contact_message

    @property
    def reference(self) -> str:
        """The reference the email quotes (see Visit.patient_reference for visits)."""
        return self.visit.patient_reference if self.visit else self.submission.reference
