"""The front desk's records: a request's status history and the audit trail."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from .requests import AppointmentRequest, RequestStatus


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


class AccessRecord(models.Model):
    """The audit trail: who opened which request's or patient's page, who exported what, who
    merged which patient records."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed a request"
        VIEWED_PATIENT = "viewed_patient", "Viewed a patient"
        EXPORTED = "exported", "Exported requests"
        MERGED_PATIENTS = "merged", "Merged patient records"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Kept when the account is deleted, so the trail still says who it was.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=Action.choices)
    references = ArrayField(
        models.CharField(max_length=24),
        help_text="The references of the requests, or the numbers of the patients, concerned.",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "access record"
        verbose_name_plural = "access records"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.username} {self.get_action_display().lower()} ({self.at:%Y-%m-%d %H:%M})"
