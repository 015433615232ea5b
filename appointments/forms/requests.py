"""The request and contact forms, and the signed stamp every public form carries."""

import datetime
import time
import uuid

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from clinic import calendar
from clinic.models import Practice, Weekday
from education.models import Article

from ..models import (
    AppointmentRequest,
    ContactMessage,
    ContactMethod,
    SpamReason,
    TimeOfDay,
)

STAMP_SALT = "appointments.form-stamp"
NOON = datetime.time(12, 0)
PHONE_ERROR = "Enter a phone number we can call, like (617) 555-0123."


def new_form_stamp() -> str:
    """A signed one-time token plus the time the form was shown, for the hidden form field."""
    return signing.dumps(
        {"token": uuid.uuid4().hex, "at": time.time()}, salt=STAMP_SALT
    )


def read_form_stamp(value: str) -> tuple[uuid.UUID, float] | None:
    try:
        stamp = signing.loads(value, salt=STAMP_SALT)
        return uuid.UUID(hex=stamp["token"]), float(stamp["at"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


class SubmissionForm(forms.ModelForm):
    """The spam checks and the one-time token that both public forms share."""

    form_stamp = forms.CharField(widget=forms.HiddenInput, required=False)
    # The honeypot: hidden from people (and screen readers), filled in by bots.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, practice: Practice | None = None, now=None, **kwargs):
        self.practice = practice
        self.now = now or timezone.now()
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        stamp = read_form_stamp(cleaned_data.get("form_stamp") or "")
        if stamp is None:
            self.add_error(
                None,
                forms.ValidationError(
                    "This form had expired. Please check your answers and send it again.",
                    code="invalid_stamp",
                ),
            )
        else:
            cleaned_data["submission_token"], cleaned_data["rendered_at"] = stamp
        return cleaned_data

    def validate_constraints(self):
        """Nothing more to ask the database: each form's clean() states every check constraint
        of its model in the patient's words, and the database enforces them on insert anyway.
        (Django's own validation would spend a query per submission evaluating them.)"""

    def spam_reason(self) -> str:
        """Why a valid submission looks like a bot's, or "" for a person's."""
        if self.cleaned_data.get("website"):
            return SpamReason.HONEYPOT
        elapsed = time.time() - self.cleaned_data["rendered_at"]
        if elapsed < settings.REQUEST_MIN_FILL_SECONDS:
            return SpamReason.TOO_FAST
        return ""

    def submission_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class AppointmentRequestForm(SubmissionForm):
    preferred_date_1 = forms.DateField(label="First choice", required=False)
    preferred_date_2 = forms.DateField(label="Second choice", required=False)
    preferred_date_3 = forms.DateField(label="Third choice", required=False)
    date_fields = ["preferred_date_1", "preferred_date_2", "preferred_date_3"]
    phone = PhoneNumberField(
        region="US",
        label="Phone number",
        error_messages={"invalid": PHONE_ERROR, "required": PHONE_ERROR},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    preferred_weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit you",
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_times_of_day = forms.MultipleChoiceField(
        label="Times that suit you",
        choices=TimeOfDay.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Carried from ?article=<slug>; only a published article's slug is kept.
    article = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AppointmentRequest
        fields = [
            "patient_type",
            "reason",
            "note",
            "preferred_weekdays",
            "preferred_times_of_day",
            "name",
            "phone",
            "email",
            "preferred_contact_method",
            "has_acknowledged_privacy_notice",
            "has_consented_to_contact",
        ]
        labels = {
            "patient_type": "Have you been to our practice before?",
            "reason": "What would you like help with?",
            "note": "Anything else we should know? (optional)",
            "name": "Your name",
            "email": "Email address (optional)",
            "preferred_contact_method": "How should we contact you?",
            "has_acknowledged_privacy_notice": "I have read the privacy notice.",
            "has_consented_to_contact": "You may contact me by the method I chose about this request.",
        }
        help_texts = {
            "note": "At most 500 characters. Please don’t include detailed medical history: we will ask you about it in person.",
            "email": "We send a confirmation of your request here.",
        }
        widgets = {
            "patient_type": forms.RadioSelect,
            "reason": forms.RadioSelect,
            "preferred_contact_method": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        error_messages = {
            "patient_type": {
                "required": "Tell us if you are a new or returning patient."
            },
            "reason": {"required": "Choose what you would like help with."},
            "name": {"required": "Enter your name."},
            "email": {"invalid": "Enter an email address like name@example.com."},
            "note": {
                "max_length": "Keep this to 500 characters or fewer (it has %(show_value)d)."
            },
            "preferred_contact_method": {
                "required": "Choose how we should contact you."
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.date_fields:
            self.fields[name].widget = forms.DateInput(
                attrs={"type": "date", "min": timezone.localdate(self.now).isoformat()},
                format="%Y-%m-%d",
            )
            self.fields[name].error_messages["invalid"] = (
                "Enter a date like 11/03/2026."
            )
        for name, message in [
            (
                "has_acknowledged_privacy_notice",
                "Tick this box to confirm you have read the privacy notice.",
            ),
            (
                "has_consented_to_contact",
                "Tick this box so that we may contact you about your request.",
            ),
        ]:
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
        for name in ["patient_type", "reason", "preferred_contact_method"]:
            # Radio buttons without a blank "---------" choice.
            self.fields[name].choices = self.fields[name].choices[1:]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_article(self):
        return published_article(self.cleaned_data.get("article") or "")

    def clean(self):
        cleaned_data = super().clean()
        wants_email = (
            cleaned_data.get("preferred_contact_method") == ContactMethod.EMAIL
        )
        if wants_email and not cleaned_data.get("email") and "email" not in self.errors:
            self.add_error(
                "email",
                forms.ValidationError(
                    "Enter your email address, or choose phone or text message.",
                    code="email_required",
                ),
            )
        dates = []
        for name in self.date_fields:
            day = cleaned_data.get(name)
            if day is None:
                continue
            if problem := self.problem_with_day(day):
                self.add_error(name, forms.ValidationError(problem, code="unavailable"))
            elif day in dates:
                self.add_error(
                    name,
                    forms.ValidationError(
                        "You chose this date already.", code="duplicate"
                    ),
                )
            else:
                dates.append(day)
        cleaned_data["preferred_dates"] = sorted(dates)
        self.check_weekdays_and_times(cleaned_data)
        return cleaned_data

    def problem_with_day(self, day: datetime.date) -> str:
        """Why the practice cannot offer this day, in the patient's words, or "" if it can."""
        why = calendar.unavailable_reason(self.practice, day=day, now=self.now)
        if why is None:
            return ""
        if why.reason == calendar.Reason.PAST:
            return "This date has passed. Choose today or a later date."
        if why.reason == calendar.Reason.BEYOND_HORIZON:
            return f"We take requests up to {why.horizon_days} days ahead: choose {why.last_day:%A, %B %-d, %Y} or earlier."
        if why.reason == calendar.Reason.CLOSURE:
            note = f" ({why.closure.public_note})" if why.closure.public_note else ""
            return f"We are closed on {day:%A, %B %-d}{note}. Choose another date."
        if why.reason == calendar.Reason.CLOSED_WEEKDAY:
            return f"We are not open on {day:%A}s. Choose another date."
        return (
            f"We need at least {why.notice_hours} hours’ notice: choose "
            f"{why.earliest:%A, %B %-d} or later."
        )

    def check_weekdays_and_times(self, cleaned_data):
        practice = self.practice
        if practice is None or not practice.has_hours:
            return
        weekdays = cleaned_data.get("preferred_weekdays") or []
        closed = [day for day in weekdays if not calendar.weekday_hours(practice, day)]
        if closed:
            names = ", ".join(f"{Weekday(day).label}s" for day in closed)
            self.add_error(
                "preferred_weekdays",
                forms.ValidationError(
                    f"We are not open on {names}. Choose other days.",
                    code="closed_weekday",
                ),
            )
            return
        times = cleaned_data.get("preferred_times_of_day") or []
        hours = [
            h
            for day in weekdays or Weekday.values
            for h in calendar.weekday_hours(practice, day)
        ]
        offered = {
            TimeOfDay.MORNING: any(h.opens_at < NOON for h in hours),
            TimeOfDay.AFTERNOON: any(h.closes_at > NOON for h in hours),
        }
        for time_of_day in times:
            if not offered[time_of_day]:
                on = "on the days you chose" if weekdays else "on any day"
                self.add_error(
                    "preferred_times_of_day",
                    forms.ValidationError(
                        f"We are not open in the {TimeOfDay(time_of_day).label.lower()} {on}.",
                        code="closed_time_of_day",
                    ),
                )

    def submission_fields(self) -> dict:
        fields = super().submission_fields()
        fields["preferred_dates"] = self.cleaned_data["preferred_dates"]
        article = self.cleaned_data.get("article")
        fields["source_article"] = article
        fields["source_article_slug"] = article.slug if article else ""
        return fields


class ContactMessageForm(SubmissionForm):
    phone = PhoneNumberField(
        region="US",
        label="Phone number",
        required=False,
        error_messages={"invalid": PHONE_ERROR},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    class Meta:
        model = ContactMessage
        fields = ["name", "phone", "email", "message"]
        labels = {
            "name": "Your name",
            "email": "Email address",
            "message": "Your message",
        }
        help_texts = {
            "message": "At most 2,000 characters. Please don’t include detailed medical history.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
        }
        error_messages = {
            "name": {"required": "Enter your name."},
            "email": {"invalid": "Enter an email address like name@example.com."},
            "message": {
                "required": "Enter your message.",
                "max_length": "Keep your message to 2,000 characters or fewer (it has %(show_value)d).",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "phone"
        ].help_text = "Give us a phone number, an email address or both."

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        cleaned_data = super().clean()
        if (
            not cleaned_data.get("phone")
            and not cleaned_data.get("email")
            and "phone" not in self.errors
            and "email" not in self.errors
        ):
            self.add_error(
                "phone",
                forms.ValidationError(
                    "Give us a phone number or an email address so that we can reply.",
                    code="phone_or_email",
                ),
            )
        return cleaned_data

    def submission_fields(self) -> dict:
        fields = super().submission_fields()
        fields["phone"] = fields["phone"] or ""
        return fields


def published_article(slug: str):
    """The published article with this slug, or None (unknown slugs are ignored)."""
    if not slug or len(slug) > 200:
        return None
    return Article.objects.published().filter(slug=slug).first()
