"""Visits in the admin: the list and the day and week schedule."""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from clinic import calendar

from ..admin_forms import SpanForm
from ..models import Visit
from .base import ReadOnlyAdmin


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    """Visits are booked from a request ("Schedule a visit"), which also confirms them; a
    different time is a cancellation and a new booking, so nothing is edited here."""

    list_display = ["starts_at", "ends_at", "practitioner", "request_link", "state"]
    list_filter = ["practitioner", ("cancelled_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "starts_at"
    search_fields = ["appointment_request__reference"]
    list_select_related = ["appointment_request", "practitioner"]
    fields = [
        "appointment_request",
        "practitioner",
        "starts_at",
        "duration",
        "ends_at",
        "cancelled_at",
        "cancellation_reason",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Request")
    def request_link(self, visit):
        return format_html(
            '<a href="{}">{}</a>',
            reverse(
                "admin:appointments_appointmentrequest_change",
                args=[visit.appointment_request_id],
            ),
            visit.appointment_request.reference,
        )

    @admin.display(description="State")
    def state(self, visit):
        return "Cancelled" if visit.is_cancelled else "Booked"

    def get_urls(self):
        return [
            path(
                "schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="appointments_visit_schedule",
            ),
            *super().get_urls(),
        ]

    def schedule_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = SpanForm(request.GET)
        form.is_valid()
        # What was valid is used; a bad date falls back to today, with the reason shown.
        day = form.cleaned_data.get("date") or timezone.localdate()
        span = form.cleaned_data.get("span") or "day"
        first = day - datetime.timedelta(days=day.weekday()) if span == "week" else day
        days = [
            first + datetime.timedelta(days=n)
            for n in range(7 if span == "week" else 1)
        ]
        start, end = calendar.day_bounds(days[0], days[-1])
        visits = list(
            Visit.objects.booked()
            .between(start, end)
            .select_related("appointment_request", "practitioner")
            .order_by("starts_at")
        )
        by_day = {d: [] for d in days}
        for visit in visits:
            by_day.setdefault(timezone.localtime(visit.starts_at).date(), []).append(
                visit
            )
        step = datetime.timedelta(days=7 if span == "week" else 1)
        url = reverse("admin:appointments_visit_schedule")
        context = {
            **self.admin_site.each_context(request),
            "title": (
                f"Week of {first:%A, %B %-d, %Y}"
                if span == "week"
                else f"{first:%A, %B %-d, %Y}"
            ),
            "opts": self.opts,
            "span": span,
            "form": SpanForm(initial={"date": day, "span": span}),
            "date_errors": form.errors.get("date", []),
            "days": [(d, by_day.get(d, [])) for d in days],
            "visit_count": len(visits),
            "previous_url": f"{url}?date={(first - step):%Y-%m-%d}&span={span}",
            "next_url": f"{url}?date={(first + step):%Y-%m-%d}&span={span}",
            "today_url": f"{url}?span={span}",
            "other_span_url": f"{url}?date={day:%Y-%m-%d}&span={'day' if span == 'week' else 'week'}",
            "other_span": "week" if span == "day" else "day",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/appointments/visit/schedule.html", context
        )
