"""Online booking: the visit type, the page of times, the details form and the time check."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from clinic import calendar

from ..models import (
    PatientType,
    Practitioner,
    VisitType,
)
from ..services import open_times as open_times_engine
from .requests import AppointmentRequestForm


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
