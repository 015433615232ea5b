"""The staff's forms in the admin: a request's status, booking visits and series, moving and
cancelling them, merging patients, the schedule's span."""

import datetime

from django import forms
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from clinic import calendar
from clinic.models import Practice, Weekday

from .models import (
    ALLOWED_TRANSITIONS,
    AppointmentRequest,
    Patient,
    Practitioner,
    RequestStatus,
    VisitSource,
    VisitType,
)

MAX_BOOKING_AHEAD = datetime.timedelta(days=2 * 366)
DURATIONS = [(m, f"{m} minutes") for m in (15, 20, 30, 45, 60, 90)]


def bookable_practitioners():
    return Practitioner.objects.filter(is_bookable=True)


class AppointmentRequestAdminForm(forms.ModelForm):
    class Meta:
        model = AppointmentRequest
        fields = ["status", "internal_notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.pk:
            # Offer only the steps that make sense from here; booking has its own page.
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


def closed_message(why: calendar.Unavailable) -> str:
    """Why the practice is closed then, in the front desk's words."""
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


class TimeProblem(Exception):
    """Why a date and time cannot be booked: `field` is where to show it, `closed` True when
    only the practice's hours or closures stand in the way (staff may book anyway)."""

    def __init__(self, message, *, field=None, code="", closed=False):
        super().__init__(message)
        self.field, self.code, self.closed = field, code, closed


def check_visit_time(day, time, length: datetime.timedelta) -> datetime.datetime:
    """The moment to book, or TimeProblem: the rules every staff booking form shares."""
    starts_at = calendar.moment_at(day, time)
    if starts_at is None:
        raise TimeProblem(
            "That time does not exist on this day (the clocks change).",
            field="time",
            code="nonexistent_time",
        )
    if day > timezone.localdate() + MAX_BOOKING_AHEAD:
        raise TimeProblem(
            "Choose a date within the next two years.", field="date", code="too_far"
        )
    practice = Practice.get_current()
    why = calendar.unavailable_reason(
        practice, start=starts_at, end=starts_at + length, for_patients=False
    )
    if why is not None and why.reason == calendar.Reason.PAST:
        raise TimeProblem(
            "Choose a date and time in the future.", field="date", code="past"
        )
    if why is not None:
        # A patient sent to a closed office is worse than one more click for staff.
        raise TimeProblem(closed_message(why), code="practice_closed", closed=True)
    if not (practice and practice.has_hours) and not _in_usual_day(starts_at, length):
        # Without opening hours nothing is refused, but 3:00 AM on a Sunday is a typo.
        raise TimeProblem(
            f"{timezone.localtime(starts_at):%A at %-I:%M %p} is outside a usual working "
            "day (Monday to Saturday, 7:00 AM to 8:00 PM), and no opening hours are set "
            "in the practice information.",
            code="unusual_time",
            closed=True,
        )
    return starts_at


USUAL_DAY = (datetime.time(7, 0), datetime.time(20, 0))


def _in_usual_day(starts_at, length) -> bool:
    start = timezone.localtime(starts_at)
    end = timezone.localtime(starts_at + length)
    return (
        start.weekday() != 6
        and end.date() == start.date()
        and USUAL_DAY[0] <= start.time()
        and end.time() <= USUAL_DAY[1]
    )


class PractitionerField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Practitioner.objects.none(), **kwargs)


class VisitKindFields(forms.Form):
    """Who with and what kind: the fields every booking form starts with."""

    practitioner = PractitionerField()
    visit_type = forms.ModelChoiceField(
        queryset=VisitType.objects.none(),
        required=False,
        help_text="Sets the length (and the time kept free after it).",
    )
    duration = forms.TypedChoiceField(
        label="Duration",
        choices=DURATIONS,
        coerce=int,
        initial=30,
        help_text="Used when no visit type is chosen.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = bookable_practitioners()
        self.fields["practitioner"].queryset = choices
        if len(choices) == 1:
            self.fields["practitioner"].initial = choices[0]
        elif not choices:
            self.fields["practitioner"].help_text = (
                "No practitioner can be booked yet. The practice owner adds them under "
                "Practitioners."
            )
        types = VisitType.objects.active()
        self.fields["visit_type"].queryset = types
        if not types:
            del self.fields["visit_type"]

    def length(self) -> datetime.timedelta:
        visit_type = self.cleaned_data.get("visit_type")
        if visit_type:
            return visit_type.duration
        return datetime.timedelta(minutes=self.cleaned_data.get("duration") or 30)


class BookVisitForm(VisitKindFields):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        help_text="Boston time.", widget=forms.TimeInput(attrs={"type": "time"})
    )
    source = forms.ChoiceField(
        label="Booked by", choices=VisitSource.choices, initial=VisitSource.PHONE
    )
    book_anyway = forms.BooleanField(
        required=False,
        label="Book it anyway",
        help_text="Only for a visit agreed with the practitioner on a day or at a time the "
        "practice is closed.",
    )

    def __init__(self, *args, from_request=False, **kwargs):
        super().__init__(*args, **kwargs)
        if from_request:
            # A web request's visit is booked "by web request", whoever typed it in.
            del self.fields["source"]

    def clean(self):
        cleaned_data = super().clean()
        day, time = cleaned_data.get("date"), cleaned_data.get("time")
        if day is None or time is None:
            return cleaned_data
        try:
            cleaned_data["starts_at"] = check_visit_time(day, time, self.length())
        except TimeProblem as problem:
            if problem.closed and cleaned_data.get("book_anyway"):
                cleaned_data["starts_at"] = calendar.moment_at(day, time)
            elif problem.closed:
                raise forms.ValidationError(
                    f"{problem} To book it anyway, tick “Book it anyway” and press the "
                    "button again.",
                    code=problem.code,
                ) from None
            else:
                raise forms.ValidationError(
                    {problem.field: str(problem)}, code=problem.code
                ) from None
        return cleaned_data


class NewPatientForm(forms.ModelForm):
    """The patient on the phone who is not in the system yet."""

    phone = PhoneNumberField(
        region="US",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"invalid": "Enter a phone number like (617) 555-0123."},
    )

    class Meta:
        model = Patient
        fields = ["name", "phone", "email", "preferred_contact_method", "notes"]
        labels = {"name": "Patient's name"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class SeriesForm(VisitKindFields):
    """Step one of a series: the rule (which weekdays, what time, how many weeks)."""

    first_day = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="On",
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day of the week."},
    )
    time = forms.TimeField(
        help_text="Boston time.", widget=forms.TimeInput(attrs={"type": "time"})
    )
    weeks = forms.IntegerField(
        label="For (weeks)", min_value=1, max_value=26, initial=6
    )

    def occurrences(self) -> list[tuple[datetime.date, datetime.time]]:
        data = self.cleaned_data
        first = data["first_day"]
        return [
            (day, data["time"])
            for offset in range(data["weeks"] * 7)
            if (day := first + datetime.timedelta(days=offset)).weekday()
            in data["weekdays"]
        ]

    def description(self) -> str:
        data = self.cleaned_data
        days = ", ".join(Weekday(day).label[:3] for day in sorted(data["weekdays"]))
        return (
            f"{days} at {data['time']:%-I:%M %p} for {data['weeks']} "
            f"week{'s' if data['weeks'] != 1 else ''} from {data['first_day']:%b %-d, %Y}"
        )


class OccurrenceForm(forms.Form):
    """Step two, one row per visit of the series: book it as planned, move it, or skip it."""

    BOOK, MOVE, SKIP = "book", "move", "skip"
    choice = forms.ChoiceField(
        choices=[(BOOK, "Book"), (MOVE, "Move to"), (SKIP, "Skip")],
        widget=forms.RadioSelect,
        initial=BOOK,
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    # What the rule planned, shown in the row (“Tue, Dec 15 at 10:00 AM”).
    planned = forms.CharField(widget=forms.HiddenInput, max_length=40)


class RescheduleForm(forms.Form):
    date = forms.DateField(
        label="New date", widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label="New time",
        help_text="Boston time.",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    tell_patient = forms.BooleanField(
        label="Tell the patient",
        required=False,
        initial=True,
        help_text="Emails the new time and an updated calendar file (or reminds you to call "
        "a patient without email).",
    )
    book_anyway = forms.BooleanField(
        required=False,
        label="Book it anyway",
        help_text="Only for a time agreed with the practitioner when the practice is closed.",
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit

    def clean(self):
        cleaned_data = super().clean()
        day, time = cleaned_data.get("date"), cleaned_data.get("time")
        if day is None or time is None:
            return cleaned_data
        try:
            cleaned_data["starts_at"] = check_visit_time(day, time, self.visit.duration)
        except TimeProblem as problem:
            if problem.closed and cleaned_data.get("book_anyway"):
                cleaned_data["starts_at"] = calendar.moment_at(day, time)
            elif problem.closed:
                raise forms.ValidationError(
                    f"{problem} To move it there anyway, tick “Book it anyway”.",
                    code=problem.code,
                ) from None
            else:
                raise forms.ValidationError(
                    {problem.field: str(problem)}, code=problem.code
                ) from None
        return cleaned_data


class CancelVisitForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For the visit's history; the patient does not see it.",
    )
    tell_patient = forms.BooleanField(
        label="Tell the patient",
        required=False,
        initial=True,
        help_text="Emails the cancellation, which also removes the visit from their "
        "calendar (or reminds you to call a patient without email).",
    )


class MergePatientForm(forms.Form):
    duplicate = forms.IntegerField(
        label="Patient number of the duplicate record",
        min_value=1,
        help_text="Shown as “Patient #…” at the top of that patient's page. Everything of "
        "that record moves here, and then it is deleted.",
    )

    def __init__(self, *args, keep, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep = keep

    def clean_duplicate(self):
        number = self.cleaned_data["duplicate"]
        if number == self.keep.pk:
            raise forms.ValidationError(
                "That is this patient's own number: choose the other record.",
                code="self",
            )
        duplicate = Patient.objects.filter(pk=number).first()
        if duplicate is None:
            raise forms.ValidationError("There is no patient with that number.")
        return duplicate


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
