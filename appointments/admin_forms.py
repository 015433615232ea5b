"""The staff's forms in the admin: a request's status, booking a visit, the schedule's span."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from .models import (
    ALLOWED_TRANSITIONS,
    AppointmentRequest,
    RequestStatus,
    practitioner_name,
)

PRACTITIONERS_GROUP = "Practitioners"
MAX_BOOKING_AHEAD = datetime.timedelta(days=2 * 366)


def practitioners():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=PRACTITIONERS_GROUP)
        .order_by("first_name", "last_name", "username")
    )


class AppointmentRequestAdminForm(forms.ModelForm):
    class Meta:
        model = AppointmentRequest
        fields = ["status", "internal_notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.pk:
            # Offer only the steps that make sense from here; scheduling has its own page.
            current = RequestStatus(self.instance.status)
            self.fields["status"].choices = [
                (current.value, f"{current.label} (current)")
            ] + [
                (status.value, status.label) for status in ALLOWED_TRANSITIONS[current]
            ]
            self.fields[
                "status"
            ].help_text = (
                "To book a time, use “Schedule a visit” at the top of this page."
            )


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return practitioner_name(user)


class ScheduleVisitForm(forms.Form):
    practitioner = PractitionerChoiceField(
        queryset=get_user_model().objects.none(),
        help_text=f"Staff accounts in the “{PRACTITIONERS_GROUP}” group.",
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        help_text="Boston time.", widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration = forms.TypedChoiceField(
        choices=[(m, f"{m} minutes") for m in (15, 20, 30, 45, 60, 90)],
        coerce=int,
        initial=30,
    )
    book_anyway = forms.BooleanField(
        required=False,
        label="Book it anyway",
        help_text="Only for a visit agreed with the practitioner on a day or at a time the "
        "practice is closed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = practitioners()
        self.fields["practitioner"].queryset = choices
        if len(choices) == 1:
            self.fields["practitioner"].initial = choices[0]
        elif not choices:
            self.fields["practitioner"].help_text = (
                f"Nobody is in the “{PRACTITIONERS_GROUP}” group yet. Ask the person "
                "who manages staff accounts to add the practitioner's account to it."
            )

    def clean(self):
        cleaned_data = super().clean()
        day, time = cleaned_data.get("date"), cleaned_data.get("time")
        if day is None or time is None:
            return cleaned_data
        starts_at = calendar.moment_at(day, time)
        if starts_at is None:
            raise forms.ValidationError(
                {"time": "That time does not exist on this day (the clocks change)."},
                code="nonexistent_time",
            )
        if day > timezone.localdate() + MAX_BOOKING_AHEAD:
            raise forms.ValidationError(
                {"date": "Choose a date within the next two years."}, code="too_far"
            )
        duration = datetime.timedelta(minutes=cleaned_data.get("duration") or 30)
        why = calendar.unavailable_reason(
            Practice.get_current(),
            start=starts_at,
            end=starts_at + duration,
            for_patients=False,
        )
        if why is not None and why.reason == calendar.Reason.PAST:
            raise forms.ValidationError(
                {"date": "Choose a date and time in the future."}, code="past"
            )
        cleaned_data["starts_at"] = starts_at
        cleaned_data["duration"] = duration
        if why is not None and not cleaned_data.get("book_anyway"):
            # A patient sent to a closed office is worse than one more click for staff.
            raise forms.ValidationError(
                f"{self.closed_message(why)} To book it anyway, tick “Book it anyway” and "
                "press the button again.",
                code="practice_closed",
            )
        return cleaned_data

    @staticmethod
    def closed_message(why: calendar.Unavailable) -> str:
        day = why.day
        if why.reason == calendar.Reason.CLOSURE:
            note = f" ({why.closure.public_note})" if why.closure.public_note else ""
            return f"The practice is closed on {day:%A, %B %-d, %Y}{note}."
        if why.reason == calendar.Reason.CLOSED_WEEKDAY:
            return f"The practice is not open on {day:%A}s."
        opening = ", ".join(
            f"{hours.opens_at:%-I:%M %p} to {hours.closes_at:%-I:%M %p}"
            for hours in why.hours
        )
        return f"That is outside the practice's hours on {day:%A}s ({opening})."


class SpanForm(forms.Form):
    date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    span = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and not datetime.date(2000, 1, 1) <= day <= datetime.date(2999, 12, 1):
            raise forms.ValidationError("Choose a date between 2000 and 2999.")
        return day
