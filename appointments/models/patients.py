"""Patients: the person requests, messages and visits hang on, however they reached us."""

from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower, Trim, Upper
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from .requests import ContactMethod, short_name


def name_key(expression):
    """A name as matching compares it: lower case, each run of spaces one space, none at the ends.

    Built in SQL for both sides of the comparison, so that the database's own lower() decides
    what “the same letters” means for both (“jane  DOE” and “Jane Doe” are one name; nothing
    cleverer: staff merge the rest).
    """
    collapsed = Func(
        expression, Value(r"\s+"), Value(" "), Value("g"), function="regexp_replace"
    )
    return Lower(Trim(collapsed))


class PatientQuerySet(models.QuerySet):
    def matching(self, *, name: str, phone="", email: str = ""):
        """The earliest patient who is this person (the same name with the same phone or email),
        or None.

        Families share phones and emails, so a matching number alone is not enough; when in
        doubt a new record is made and staff merge the two. Compared in the database, so that
        a phone shared by hundreds of records reads one row.
        """
        contact = Q()
        if phone:
            contact |= Q(phone=phone)
        if email:
            contact |= Q(email__iexact=email)
        if not contact:
            return None
        return (
            self.filter(contact)
            .alias(name_key=name_key(F("name")))
            .filter(name_key=name_key(Value(name)))
            .order_by("pk")
            .first()
        )


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
        indexes = [
            models.Index(fields=["phone"], name="patient_phone_idx"),
            # What email__iexact compares: without it, finding a patient by email read them all.
            models.Index(Upper("email"), name="patient_email_upper_idx"),
        ]

    def __str__(self):
        return short_name(self.name)

    @property
    def audit_label(self) -> str:
        """How the audit trail names this patient: a number, never their name."""
        return f"Patient #{self.pk}"

    def get_admin_url(self) -> str:
        return reverse("admin:appointments_patient_change", args=[self.pk])
