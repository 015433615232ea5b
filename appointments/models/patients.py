"""Patients: the person requests, messages and visits hang on, however they reached us."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from .requests import ContactMethod, short_name


def same_name(first: str, second: str) -> bool:
    """“jane  DOE” and “Jane Doe” are one name; nothing cleverer (staff merge the rest)."""
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


class PatientQuerySet(models.QuerySet):
    def matching(self, *, name: str, phone="", email: str = ""):
        """Patients who are this person: the same name with the same phone or email.

        Families share phones and emails, so a matching number alone is not enough; when in
        doubt a new record is made and staff merge the two.
        """
        contact = Q()
        if phone:
            contact |= Q(phone=phone)
        if email:
            contact |= Q(email__iexact=email)
        if not contact:
            return self.none()
        return [
            patient for patient in self.filter(contact) if same_name(patient.name, name)
        ]


class Patient(models.Model):
    name = models.CharField(max_length=120)
    phone = PhoneNumberField(
        blank=True, help_text="Stored in international form; type it as you say it."
    )
    email = models.EmailField(
        blank=True,
        help_text="Confirmations, changes and reminders go here. Leave empty if the patient "
        "has none: the dashboard then reminds you to call them.",
    )
    preferred_contact_method = models.CharField(
        "contact by", max_length=10, choices=ContactMethod.choices, blank=True
    )
    notes = models.TextField(
        "notes for staff",
        blank=True,
        help_text="Never shown or sent to the patient.",
    )
    created_at = models.DateTimeField("added", default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = "patient"
        verbose_name_plural = "patients"
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["phone"], name="patient_phone_idx")]

    def __str__(self):
        return short_name(self.name)

    @property
    def audit_label(self) -> str:
        """How the audit trail names this patient: a number, never their name."""
        return f"Patient #{self.pk}"

    def get_admin_url(self) -> str:
        return reverse("admin:appointments_patient_change", args=[self.pk])
