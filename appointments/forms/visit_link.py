"""The forms of a visit's link: cancel, choose another time, join the cancellation list."""

import datetime

from django import forms
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice

from ..models import (
    Visit,
)
from ..services import open_times as open_times_engine
from ..services.moves import times_for_move


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
