"""Visits in the admin: the list, a visit's own page with its actions (move, cancel, arrived,
completed, no-show, called), booking (admin/booking.py) and the day and week schedule."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ..admin_forms import CancelVisitForm, RescheduleForm, SpanForm
from ..models import CallNeeded, Visit, VisitStatus
from ..services.online_booking import confirm_hold, decline_hold
from ..services.schedule import (
    NEXT_STATES,
    SchedulingError,
    VisitConflict,
    cancel_visit,
    mark_patient_called,
    mark_visit,
    reschedule_visit,
)
from . import booking
from . import calendar as schedule_grid


class CallNeededFilter(admin.SimpleListFilter):
    title = "patient still to be called"
    parameter_name = "call"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(call_needed=CallNeeded.NONE)
        return queryset


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """A visit is booked on its own page (Book a visit) and changed through its actions, each
    of which tells the patient; nothing is edited field by field."""

    list_display = [
        "starts_at",
        "patient_link",
        "practitioner",
        "visit_type",
        "status",
        "call_needed",
        "reference",
    ]
    list_filter = [
        "status",
        CallNeededFilter,
        "practitioner",
        "visit_type",
        "source",
        ("starts_at", admin.DateFieldListFilter),
    ]
    date_hierarchy = "starts_at"
    search_fields = [
        "reference",
        "patient__name",
        "appointment_request__reference",
    ]
    search_help_text = "Search by visit or request reference, or the patient's name."
    list_select_related = ["patient", "practitioner", "visit_type"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Patient", ordering="patient__name")
    def patient_link(self, visit):
        return format_html(
            '<a href="{}">{}</a>', visit.get_admin_url(), visit.patient.name
        )

    def get_urls(self):
        def view(function, name):
            return self.admin_site.admin_view(function), name

        urls = [
            ("book/", lambda request: booking.book_view(self, request), "book"),
            (
                "book-series/",
                lambda request: booking.series_view(self, request),
                "book_series",
            ),
            ("schedule/", self.schedule_view, "schedule"),
            ("<path:object_id>/move/", self.move_view, "move"),
            ("<path:object_id>/cancel/", self.cancel_view, "cancel"),
            ("<path:object_id>/mark/", self.mark_view, "mark"),
            ("<path:object_id>/called/", self.called_view, "called"),
            ("<path:object_id>/answer-hold/", self.answer_hold_view, "answer_hold"),
        ]
        return [
            path(
                route,
                self.admin_site.admin_view(function),
                name=f"appointments_visit_{name}",
            )
            for route, function, name in urls
        ] + super().get_urls()

    # A visit's own page ------------------------------------------------------------------

    def _visit(self, request, object_id, *, change=True):
        visit = get_object_or_404(
            Visit.objects.select_related(
                "patient", "practitioner", "visit_type", "appointment_request", "series"
            ),
            pk=object_id if str(object_id).isdigit() else None,
        )
        allowed = (
            self.has_change_permission(request, visit)
            if change
            else self.has_view_permission(request, visit)
        )
        if not allowed:
            raise PermissionDenied
        return visit

    def change_view(self, request, object_id, form_url="", extra_context=None):
        visit = self._visit(request, object_id, change=False)
        return self._render_visit(request, visit)

    def _render_visit(self, request, visit, *, move_form=None, status=200):
        can_change = self.has_change_permission(request, visit)
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Visit {visit.reference}",
            "opts": self.opts,
            "original": visit,
            "visit": visit,
            "changes": visit.changes.select_related("changed_by"),
            "can_change": can_change,
            "can_book": request.user.has_perm("appointments.add_visit"),
            "can_move": can_change
            and not visit.is_freed
            and not visit.is_held
            and not visit.has_begun,
            "can_cancel": can_change
            and not visit.is_freed
            and not visit.is_held
            and not visit.has_begun,
            "can_answer_hold": can_change and visit.is_held,
            "move_form": move_form
            or RescheduleForm(
                visit=visit,
                initial={
                    "date": timezone.localtime(visit.starts_at).date(),
                    "time": timezone.localtime(visit.starts_at).time(),
                },
            ),
            "marks": [
                VisitStatus(state)
                for state in NEXT_STATES[visit.status]
                if timezone.localtime(visit.starts_at).date() <= today
            ]
            if can_change
            else [],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/appointments/visit/detail.html", context, status=status
        )

    def move_view(self, request, object_id):
        visit = self._visit(request, object_id)
        if request.method != "POST":
            return redirect(visit.get_admin_url())
        form = RescheduleForm(request.POST, visit=visit)
        if form.is_valid():
            try:
                reschedule_visit(
                    visit=visit,
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                    tell_patient=form.cleaned_data["tell_patient"],
                )
            except SchedulingError as error:
                form.add_error(
                    "time" if isinstance(error, VisitConflict) else None, str(error)
                )
            else:
                messages.success(
                    request,
                    f"Visit moved to {visit.time_in_words}. {self._told(visit, form.cleaned_data['tell_patient'])}",
                )
                return redirect(visit.get_admin_url())
        return self._render_visit(request, visit, move_form=form, status=400)

    def cancel_view(self, request, object_id):
        visit = self._visit(request, object_id)
        form = CancelVisitForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                cancel_visit(
                    visit=visit,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    tell_patient=form.cleaned_data["tell_patient"],
                )
            except SchedulingError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                messages.success(
                    request,
                    f"Visit cancelled; the time is free again. {self._told(visit, form.cleaned_data['tell_patient'])}",
                )
                return redirect(visit.get_admin_url())
        elif request.method == "POST":
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel visit {visit.reference}?",
            "opts": self.opts,
            "original": visit,
            "visit": visit,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/appointments/visit/cancel.html", context, status=status
        )

    def mark_view(self, request, object_id):
        visit = self._visit(request, object_id)
        if request.method != "POST":
            return redirect(visit.get_admin_url())
        state = request.POST.get("status", "")
        if state not in VisitStatus.values:
            messages.error(
                request, "Choose what happened from the buttons on this page."
            )
            return self._render_visit(request, visit, status=400)
        try:
            mark_visit(visit=visit, status=state, by=request.user)
        except SchedulingError as error:
            messages.error(request, str(error))
            return self._render_visit(request, visit, status=400)
        messages.success(request, f"Marked as {VisitStatus(state).label.lower()}.")
        return redirect(visit.get_admin_url())

    def answer_hold_view(self, request, object_id):
        """Confirm or Decline a time a patient picked online: one POST, one click."""
        visit = self._visit(request, object_id)
        answer = request.POST.get("answer", "")
        back = (
            reverse("admin:index")
            if request.POST.get("return_to") == "dashboard"
            else visit.get_admin_url()
        )
        if request.method != "POST":
            return redirect(visit.get_admin_url())
        if answer not in ("confirm", "decline"):
            messages.error(request, "Choose Confirm or Decline.")
            return self._render_visit(request, visit, status=400)
        try:
            if answer == "confirm":
                confirm_hold(visit=visit, by=request.user)
            else:
                decline_hold(visit=visit, by=request.user)
        except SchedulingError as error:
            messages.error(request, str(error))
            return self._render_visit(request, visit, status=409)
        when = visit.time_in_words
        if answer == "confirm":
            told = (
                "The confirmation with the calendar file is on its way to the patient."
                if visit.patient.email
                else "The patient has no email address: call them to confirm (it is on "
                "the dashboard)."
            )
            messages.success(request, f"Confirmed: {when}. {told}")
        else:
            told = (
                "A kind note with our phone number is on its way to the patient."
                if visit.patient.email
                else "The patient has no email address: call them (it is on the "
                "dashboard)."
            )
            messages.success(request, f"Declined: {when} is free again. {told}")
        return redirect(back)

    def called_view(self, request, object_id):
        visit = self._visit(request, object_id)
        if request.method == "POST":
            mark_patient_called(visit=visit, by=request.user)
            messages.success(request, "Noted: the patient has been called.")
        return redirect(visit.get_admin_url())

    @staticmethod
    def _told(visit, tell_patient):
        if not tell_patient:
            return "The patient was not told."
        if visit.patient.email:
            return "An email is on its way to the patient."
        return "The patient has no email address: call them (it is on the dashboard)."

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
        grid = schedule_grid.build(first=first, days=len(days))
        visits = grid.visits
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
            "grid": grid,
            "print_url": f"{url}?date={day:%Y-%m-%d}&span=day",
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
