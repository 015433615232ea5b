"""Appointment requests and contact messages in the admin: what the patient sent (read-only),
the status workflow, booking a visit from a request, export and the audit of every opening."""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from ..admin_forms import AppointmentRequestAdminForm, ScheduleVisitForm
from ..models import (
    SCHEDULABLE_STATUSES,
    AccessRecord,
    AppointmentRequest,
    ContactMessage,
    RequestStatus,
    practitioner_name,
)
from ..services.frontdesk import (
    VisitConflict,
    WorkflowError,
    change_status,
    change_statuses,
    record_access,
    schedule_visit,
)
from ..services.intake import release_from_spam
from .base import html_table
from .export import AppointmentRequestResource
from .outbox import NotificationInline


class SubmissionAdmin(admin.ModelAdmin):
    """What the patient typed is shown read-only: staff never edit the patient's own words."""

    date_hierarchy = "created_at"
    inlines = [NotificationInline]
    search_fields = ["reference", "name", "phone", "email"]
    actions = ["mark_not_spam"]

    @admin.action(
        description="Not spam: move to the normal queue and notify",
        permissions=["change"],
    )
    def mark_not_spam(self, request, queryset):
        # The one path for requests and messages; a request's step shows in its history.
        released = 0
        for submission in queryset.caught_as_spam():
            release_from_spam(submission=submission, by=request.user)
            released += 1
        self.message_user(
            request,
            f"{released} moved out of spam; their notifications are on their way.",
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ContactMessage)
class ContactMessageAdmin(SubmissionAdmin):
    list_display = ["reference", "created_at", "name", "status"]
    list_filter = ["status"]
    fields = [
        "reference",
        "created_at",
        "status",
        "name",
        "phone",
        "email",
        "message",
        "spam_reason",
    ]
    readonly_fields = [
        "reference",
        "created_at",
        "name",
        "phone",
        "email",
        "message",
        "spam_reason",
    ]


class NeedsAnswerFilter(admin.SimpleListFilter):
    title = "waiting for an answer"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("overdue", "More than one business day")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        return queryset


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(ExportMixin, SubmissionAdmin):
    form = AppointmentRequestAdminForm
    resource_classes = [AppointmentRequestResource]
    formats = [CSV]
    # One click downloads the list as filtered on screen; there is nothing to choose.
    skip_export_form = True
    list_display = [
        "reference",
        "received",
        "name",
        "patient_type",
        "reason",
        "preferred_times_summary",
        "status",
        "source_article_slug",
    ]
    list_filter = [
        NeedsAnswerFilter,
        "status",
        "reason",
        "patient_type",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_help_text = "Search by reference, name, phone or email."
    # History and visits are read-only tables, not inlines: no extra formsets in the form.
    inlines = [NotificationInline]
    actions = ["mark_contacted", "mark_spam", "mark_not_spam"]
    fieldsets = [
        (None, {"fields": ["reference", "created_at", "status", "internal_notes"]}),
        ("Visits", {"fields": ["visit_list"]}),
        (
            "Patient",
            {
                "fields": [
                    "name",
                    "phone",
                    "email",
                    "preferred_contact_method",
                    "patient_type",
                    "has_acknowledged_privacy_notice",
                    "has_consented_to_contact",
                ]
            },
        ),
        (
            "Visit wished for",
            {
                "fields": [
                    "reason",
                    "note",
                    "preferred_weekdays",
                    "preferred_times_of_day",
                    "preferred_dates",
                    "source_article",
                    "source_article_slug",
                ]
            },
        ),
        ("Spam checks", {"fields": ["spam_reason"]}),
        ("Status history", {"fields": ["status_history"]}),
    ]
    # What the patient submitted is read-only: everything shown except what staff work with.
    readonly_fields = [
        field
        for _, options in fieldsets
        for field in options["fields"]
        if field not in {"status", "internal_notes"}
    ]

    @admin.display(description="Preferred times")
    def preferred_times_summary(self, obj):
        return obj.preferred_times_summary()

    @admin.display(description="Visits")
    def visit_list(self, obj):
        visits = obj.visits.select_related("practitioner").order_by("starts_at")
        if not visits:
            return "None booked yet. Use “Schedule a visit” at the top of this page."
        return html_table(
            ["When (Boston time)", "Practitioner", "State"],
            [
                (
                    visit.time_in_words,
                    practitioner_name(visit.practitioner),
                    "Cancelled" if visit.is_cancelled else "Booked",
                )
                for visit in visits
            ],
        )

    @admin.display(description="Status history")
    def status_history(self, obj):
        changes = obj.status_changes.select_related("changed_by")
        if not changes:
            return "No changes yet."
        return html_table(
            ["When", "From", "To", "By"],
            [
                (
                    f"{timezone.localtime(change.changed_at):%b %-d, %Y, %-I:%M %p}",
                    change.get_from_status_display(),
                    change.get_to_status_display(),
                    change.changed_by.get_username()
                    if change.changed_by
                    else "The patient (cancel link)",
                )
                for change in changes
            ],
        )

    @admin.display(description="Received", ordering="created_at")
    def received(self, obj):
        when = timezone.localtime(obj.created_at)
        age = timesince(obj.created_at).split(",")[0]
        if getattr(obj, "is_overdue", False):
            return format_html(
                '{} <span class="frontdesk-overdue">(<strong>{} ago, overdue</strong>)</span>',
                f"{when:%b %-d, %-I:%M %p}",
                age,
            )
        return f"{when:%b %-d, %-I:%M %p} ({age} ago)"

    def get_queryset(self, request):
        overdue = self.model.objects.overdue().filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_overdue=Exists(overdue))

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 7 and not re.search(r"[A-Za-z@]", search_term):
            # Staff type phone numbers the way they read them: (617) 555-0123.
            queryset |= self.model.objects.filter(phone__contains=digits[-10:])
        return queryset, may_have_duplicates

    # Exporting writes to the audit trail: it takes the Export button's POST, never a link,
    # a prefetch or an image on another site.
    @method_decorator(require_POST)
    def export_action(self, request):
        return super().export_action(request)

    def has_export_permission(self, request):
        return request.user.has_perm("appointments.export_appointmentrequest")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        record_access(
            user=request.user,
            action=AccessRecord.Action.EXPORTED,
            references=list(queryset.values_list("reference", flat=True)),
        )
        return data

    def get_export_filename(self, request, queryset, file_format):
        return f"appointment-requests-{timezone.localdate():%Y-%m-%d}.csv"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = response.context_data.get("original")
            if obj is not None:
                record_access(
                    user=request.user,
                    action=AccessRecord.Action.VIEWED,
                    references=[obj.reference],
                )
        return response

    def save_model(self, request, obj, form, change):
        new_status = obj.status
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if change and new_status != obj.status:
            try:
                change_status(
                    appointment_request=obj, to_status=new_status, by=request.user
                )
            except WorkflowError as error:
                messages.error(request, str(error))

    @admin.action(description="Mark as contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        self._bulk_status(request, queryset, RequestStatus.CONTACTED)

    @admin.action(description="Mark as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._bulk_status(request, queryset, RequestStatus.SPAM)

    def _bulk_status(self, request, queryset, to_status):
        changed, skipped = change_statuses(
            appointment_requests=queryset, to_status=to_status, by=request.user
        )
        label = RequestStatus(to_status).label.lower()
        if changed:
            messages.success(request, f"{changed} marked as {label}.")
        if skipped:
            messages.warning(
                request,
                f"{skipped} left as they were: their status cannot become “{label}”.",
            )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="appointments_appointmentrequest_schedule",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_schedule"] = (
            obj is not None
            and obj.status in SCHEDULABLE_STATUSES
            and self.has_change_permission(request, obj)
            and request.user.has_perm("appointments.add_visit")
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def schedule_view(self, request, object_id):
        appointment_request = get_object_or_404(AppointmentRequest, pk=object_id)
        if not (
            self.has_change_permission(request, appointment_request)
            and request.user.has_perm("appointments.add_visit")
        ):
            raise PermissionDenied
        change_url = reverse(
            "admin:appointments_appointmentrequest_change",
            args=[appointment_request.pk],
        )
        form = ScheduleVisitForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                visit = schedule_visit(
                    appointment_request=appointment_request,
                    practitioner=form.cleaned_data["practitioner"],
                    starts_at=form.cleaned_data["starts_at"],
                    duration=form.cleaned_data["duration"],
                    by=request.user,
                )
            except WorkflowError as error:
                form.add_error(
                    "time" if isinstance(error, VisitConflict) else None, str(error)
                )
            else:
                confirmation = (
                    "A confirmation email is on its way to the patient."
                    if appointment_request.email
                    else "The patient gave no email address: call them to confirm."
                )
                messages.success(
                    request,
                    f"Visit booked for {timezone.localtime(visit.starts_at):%A, %B %-d at %-I:%M %p}. {confirmation}",
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Schedule a visit for {appointment_request.reference}",
            "opts": self.opts,
            "original": appointment_request,
            "form": form,
            "change_url": change_url,
            "can_schedule": appointment_request.status in SCHEDULABLE_STATUSES,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/appointments/appointmentrequest/schedule.html", context
        )
