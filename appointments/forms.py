import datetime
import time
import uuid

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.formats import date_format
from phonenumber_field.formfields import PhoneNumberField

from clinic import calendar
from clinic.models import Practice, Weekday
from education.models import Article

from .models import (
    AppointmentRequest,
    ContactMessage,
    ContactMethod,
    PatientType,
    Practitioner,
    SpamReason,
    TimeOfDay,
    Visit,
    VisitType,
)
from .services import open_times as open_times_engine
from .services.moves import times_for_move

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


class VisitCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Helps us plan. Please do not include medical details.",
    )


# A window longer than this is checked for an open day over its first year only.
WINDOW_DAYS_CHECKED = 366


class WaitlistForm(forms.Form):
    """“Tell me if an earlier time opens”: the days the patient could come instead."""

    earliest_day = forms.DateField(
        label="From",
        help_text="The first day you could come.",
        error_messages={"required": "Enter the first day you could come."},
    )
    latest_day = forms.DateField(
        label="Until",
        help_text="The last day you could come (at the latest, the day of your visit).",
        error_messages={"required": "Enter the last day you could come."},
    )

    def __init__(
        self, *args, visit, practice: Practice | None = None, now=None, **kwargs
    ):
        self.visit = visit
        self.practice = practice
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.visit_day = timezone.localdate(visit.starts_at)
        super().__init__(*args, **kwargs)
        for name in ["earliest_day", "latest_day"]:
            self.fields[name].widget = forms.DateInput(
                attrs={
                    "type": "date",
                    "min": self.today.isoformat(),
                    "max": self.visit_day.isoformat(),
                },
                format="%Y-%m-%d",
            )
            self.fields[name].error_messages["invalid"] = (
                "Enter a date like 11/03/2026."
            )

    def _not_past(self, name):
        day = self.cleaned_data[name]
        if day < self.today:
            raise forms.ValidationError(
                "This date has passed. Choose today or a later date.", code="past"
            )
        if day > self.visit_day:
            raise forms.ValidationError(
                f"Choose a day up to your visit on {self.visit_day:%A, %B %-d, %Y}: "
                "the list only brings visits forward.",
                code="after_visit",
            )
        return day

    def clean_earliest_day(self):
        return self._not_past("earliest_day")

    def clean_latest_day(self):
        return self._not_past("latest_day")

    def clean(self):
        cleaned_data = super().clean()
        first, last = cleaned_data.get("earliest_day"), cleaned_data.get("latest_day")
        if first is None or last is None:
            return cleaned_data
        if last < first:
            self.add_error(
                "latest_day",
                forms.ValidationError(
                    "The last day comes before the first: swap them or choose again.",
                    code="window_reversed",
                ),
            )
            return cleaned_data
        days = (first + datetime.timedelta(days=n) for n in range(WINDOW_DAYS_CHECKED))
        if not any(
            calendar.unavailable_reason(self.practice, day=day, now=self.now) is None
            for day in days
            if day <= last
        ):
            self.add_error(
                None,
                forms.ValidationError(
                    "We are closed on every day you chose. Choose a wider window.",
                    code="window_closed",
                ),
            )
        return cleaned_data


class VisitMoveForm(forms.Form):
    """“Choose another time”: one of the open times the page listed (OpenTime.key)."""

    # A plain Field: whatever arrives (too long, NUL, garbage) gets the one message below.
    time = forms.Field(error_messages={"required": "Choose one of the times below."})

    def __init__(self, *args, visit, practice: Practice | None = None, **kwargs):
        self.visit = visit
        self.practice = practice
        super().__init__(*args, **kwargs)

    def clean_time(self):
        key = self.cleaned_data["time"]
        parsed = open_times_engine.parse_key(key)
        if parsed is None or parsed[0] != self.visit.practitioner_id:
            raise forms.ValidationError(
                "Choose one of the times below.", code="not_offered"
            )
        starts_at = parsed[1]
        day = timezone.localdate(starts_at)
        offered = times_for_move(
            self.visit, first_day=day, last_day=day, practice=self.practice
        )
        chosen = open_times_engine.find(offered, key)
        if chosen is not None:
            return chosen
        blocked_until = starts_at + self.visit.duration + self.visit.buffer
        is_booked = (
            Visit.objects.blocking(starts_at, blocked_until)
            .filter(practitioner_id=self.visit.practitioner_id)
            .exclude(pk=self.visit.pk)
            .exists()
        )
        if is_booked and starts_at > timezone.now():
            # A time we could offer, now booked by someone else: the page says so kindly.
            self.taken_at = starts_at
            raise forms.ValidationError(
                "That time was just taken. Choose another time below.", code="taken"
            )
        raise forms.ValidationError(
            "We cannot offer that time. Choose one of the times below.",
            code="not_offered",
        )


def published_article(slug: str):
    """The published article with this slug, or None (unknown slugs are ignored)."""
    if not slug or len(slug) > 200:
        return None
    return Article.objects.published().filter(slug=slug).first()


# --- Online booking: the patient picks a real open time ----------------------------------------


def bookable_visit_types():
    return VisitType.objects.bookable_online()


class VisitTypeChoiceForm(forms.Form):
    """Step one (a GET form): new or returning, and which kind of visit."""

    patient_type = forms.ChoiceField(
        label="Have you been to our practice before?",
        choices=PatientType.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Tell us if you are a new or returning patient.",
            "invalid_choice": "Tell us if you are a new or returning patient.",
        },
    )
    visit_type = forms.ModelChoiceField(
        label="Which visit would you like?",
        queryset=VisitType.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the kind of visit.",
            "invalid_choice": "That kind of visit cannot be booked online. Choose one of these.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_type"].queryset = bookable_visit_types()
        self.fields["visit_type"].label_from_instance = visit_type_label

    def clean(self):
        cleaned_data = super().clean()
        visit_type = cleaned_data.get("visit_type")
        if (
            visit_type is not None
            and cleaned_data.get("patient_type") == PatientType.NEW
            and not visit_type.is_for_new_patients
        ):
            self.add_error(
                "visit_type",
                forms.ValidationError(
                    f"“{visit_type.name}” is for patients we have seen before. Choose a "
                    "visit for new patients.",
                    code="not_for_new_patients",
                ),
            )
        return cleaned_data


def visit_type_label(visit_type) -> str:
    audience = "" if visit_type.is_for_new_patients else " (returning patients)"
    return f"{visit_type.name}, {visit_type.duration_minutes} minutes{audience}"


class LaterDatesForm(forms.Form):
    """The times page's ?from=: the first day to show (today if absent or unreadable)."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


TIME_TAKEN_MESSAGE = (
    "Sorry, that time was just taken by someone else. Please choose another time below."
)


class OnlineBookingForm(AppointmentRequestForm):
    """The last step: the time picked, and the patient's details as on the request form."""

    # What this form leaves out of the request form: the patient picks a time instead.
    preferred_date_1 = None
    preferred_date_2 = None
    preferred_date_3 = None
    preferred_weekdays = None
    preferred_times_of_day = None
    date_fields = []

    visit_type = forms.ModelChoiceField(
        queryset=VisitType.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose the kind of visit first.",
            "invalid_choice": "That kind of visit cannot be booked online.",
        },
    )
    time = forms.CharField(
        label="Your time",
        max_length=40,
        error_messages={"required": "Choose a time."},
    )

    class Meta(AppointmentRequestForm.Meta):
        fields = [
            "patient_type",
            "reason",
            "note",
            "name",
            "phone",
            "email",
            "preferred_contact_method",
            "has_acknowledged_privacy_notice",
            "has_consented_to_contact",
        ]
        widgets = {
            **AppointmentRequestForm.Meta.widgets,
            "patient_type": forms.HiddenInput,
        }
        labels = {
            **AppointmentRequestForm.Meta.labels,
            "has_consented_to_contact": "You may contact me by the method I chose about this visit.",
        }
        help_texts = {
            **AppointmentRequestForm.Meta.help_texts,
            "email": "We send the details of your visit here.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_type"].queryset = bookable_visit_types()
        self.fields["has_consented_to_contact"].error_messages["required"] = (
            "Tick this box so that we may contact you about your visit."
        )
        self.open_time = None

    def clean(self):
        cleaned_data = super().clean()
        visit_type = cleaned_data.get("visit_type")
        if (
            visit_type is not None
            and cleaned_data.get("patient_type") == PatientType.NEW
            and not visit_type.is_for_new_patients
        ):
            self.add_error(
                "visit_type",
                forms.ValidationError(
                    "This visit is for patients we have seen before.",
                    code="not_for_new_patients",
                ),
            )
        elif visit_type is not None and "time" in cleaned_data:
            self.open_time, problem = check_time(
                self.practice, visit_type, cleaned_data["time"], now=self.now
            )
            if problem:
                self.add_error("time", problem)
        return cleaned_data

    def submission_fields(self) -> dict:
        fields = super().submission_fields()
        fields.pop("preferred_dates", None)
        return fields


def check_time(practice, visit_type, key: str, *, now=None):
    """(the OpenTime a form's value names, None) or (None, ValidationError saying why not)."""
    parsed = open_times_engine.parse_key(key)
    if parsed is None:
        return None, forms.ValidationError(
            "That is not one of the times we offer. Please choose one below.",
            code="unknown_time",
        )
    practitioner_id, starts_at = parsed
    practitioner = Practitioner.objects.filter(
        pk=practitioner_id, is_bookable=True
    ).first()
    why = calendar.unavailable_reason(
        practice, start=starts_at, end=starts_at + visit_type.duration, now=now
    )
    if why is not None and why.reason == calendar.Reason.PAST:
        message, code = "That time has passed. Please choose a later one.", "past"
    elif why is not None and why.reason == calendar.Reason.TOO_LITTLE_NOTICE:
        message = (
            f"We need at least {why.notice_hours} hours’ notice. Please choose a time "
            f"from {date_format(why.earliest, 'l, F j, g:i a')} on."
        )
        code = "too_soon"
    elif why is not None or practitioner is None:
        message = (
            "We are not open for visits then. Please choose one of the times below."
        )
        code = "closed"
    else:
        day = timezone.localtime(starts_at).date()
        times = open_times_engine.open_times(
            visit_type=visit_type,
            practitioner=practitioner,
            first_day=day,
            last_day=day,
            practice=practice,
            now=now,
        )
        if found := open_times_engine.find(times, key):
            return found, None
        if any(t.starts_at == starts_at for t in times) or not _is_a_start_time(
            practice, visit_type, starts_at, now
        ):
            message = "That is not one of the times we offer. Please choose one below."
            code = "unknown_time"
        else:
            message, code = TIME_TAKEN_MESSAGE, "taken"
    return None, forms.ValidationError(message, code=code)


def _is_a_start_time(practice, visit_type, starts_at, now) -> bool:
    """Whether the engine would offer this moment on an empty calendar (so a missing time was
    taken rather than forged)."""
    step = datetime.timedelta(
        minutes=getattr(practice, "online_booking_step_minutes", None)
        or (visit_type.duration_minutes + visit_type.buffer_minutes)
    )
    day = timezone.localtime(starts_at).date()
    for opens, closes in calendar.opening_periods(practice, day):
        offset = starts_at - opens.astimezone(datetime.UTC)
        if (
            datetime.timedelta(0) <= offset
            and starts_at + visit_type.duration <= closes
            and offset % step == datetime.timedelta(0)
        ):
            return True
    return False
