"""Appointment requests and contact messages in the admin: what the patient sent (read-only),
the status workflow, booking a visit from a request, export and the audit of every opening."""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from ..admin_forms import AppointmentRequestAdminForm
from ..models import (
    ALLOWED_TRANSITIONS,
    SCHEDULABLE_STATUSES,
    AccessRecord,
    AppointmentRequest,
    ContactMessage,
    RequestStatus,
)
from ..services.frontdesk import (
    WorkflowError,
    change_status,
    change_statuses,
    record_access,
)
from ..services.intake import release_from_spam
from . import booking
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
    # Who, how to reach them, what and when first; everything they sent below, folded.
    fieldsets = [
        (None, {"fields": ["summary", "status", "internal_notes"]}),
        ("Visits", {"fields": ["visit_list"]}),
        (
            "Everything the patient sent",
            {
                "classes": ["collapse"],
                "fields": [
                    "reference",
                    "created_at",
                    "name",
                    "phone",
                    "email",
                    "preferred_contact_method",
                    "patient_type",
                    "has_acknowledged_privacy_notice",
                    "has_consented_to_contact",
                    "reason",
                    "note",
                    "preferred_days",
                    "preferred_dates",
                    "source",
                    "spam_reason",
                ],
            },
        ),
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

    @admin.display(description="Days and times that suit")
    def preferred_days(self, obj):
        return obj.preferred_times_summary()

    @admin.display(description="Came from the article")
    def source(self, obj):
        if obj.source_article_id:
            return format_html(
                '<a href="{}">{}</a>',
                obj.source_article.get_absolute_url(),
                obj.source_article.title,
            )
        return obj.source_article_slug or "—"

    @admin.display(description="Patient")
    def summary(self, obj):
        """Who, how to reach them, what they want and when, before anything else."""
        phone = (
            format_html(
                '<a href="tel:{}">{}</a>', obj.phone.as_e164, obj.phone.as_national
            )
            if obj.phone
            else "no phone"
        )
        email = (
            format_html('<a href="mailto:{}">{}</a>', obj.email, obj.email)
            if obj.email
            else "no email"
        )
        patient = (
            format_html(
                ' (<a href="{}">{}</a>)',
                obj.patient.get_admin_url(),
                obj.patient.audit_label,
            )
            if obj.patient_id
            else ""
        )
        return format_html(
            '<div class="staff-request-summary"><p class="staff-request-name"><strong>{}</strong>{}</p>'
            "<dl><dt>Phone</dt><dd>{}</dd><dt>Email</dt><dd>{}</dd>"
            "<dt>Contact by</dt><dd>{}</dd><dt>Wants help with</dt><dd>{}, {}</dd>"
            "<dt>When</dt><dd>{}</dd><dt>Note</dt><dd>{}</dd><dt>Received</dt><dd>{} ({})</dd></dl></div>",
            obj.name,
            patient,
            phone,
            email,
            obj.get_preferred_contact_method_display(),
            obj.get_reason_display(),
            obj.get_patient_type_display().lower(),
            obj.preferred_times_summary(),
            obj.note or "—",
            obj.reference,
            f"{timezone.localtime(obj.created_at):%b %-d, %-I:%M %p}",
        )

    @admin.display(description="Visits")
    def visit_list(self, obj):
        visits = obj.visits.select_related("practitioner").order_by("starts_at")
        if not visits:
            return "None booked yet. Use “Schedule a visit” at the top of this page."
        return html_table(
            ["When (Boston time)", "Practitioner", "State"],
            [
                (
                    format_html(
                        '<a href="{}">{}</a>',
                        visit.get_admin_url(),
                        visit.time_in_words,
                    ),
                    str(visit.practitioner),
                    visit.get_status_display(),
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
                "<path:object_id>/contacted/",
                self.admin_site.admin_view(self.contacted_view),
                name="appointments_appointmentrequest_contacted",
            ),
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="appointments_appointmentrequest_schedule",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_mark_contacted"] = (
            obj is not None
            and RequestStatus.CONTACTED in ALLOWED_TRANSITIONS[obj.status]
            and self.has_change_permission(request, obj)
        )
        context["can_schedule"] = (
            obj is not None
            and obj.status in SCHEDULABLE_STATUSES
            and self.has_change_permission(request, obj)
            and request.user.has_perm("appointments.add_visit")
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def contacted_view(self, request, object_id):
        appointment_request = get_object_or_404(
            AppointmentRequest, pk=object_id if str(object_id).isdigit() else None
        )
        if not self.has_change_permission(request, appointment_request):
            raise PermissionDenied
        if request.method == "POST":
            try:
                change_status(
                    appointment_request=appointment_request,
                    to_status=RequestStatus.CONTACTED,
                    by=request.user,
                )
            except WorkflowError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "Marked as contacted.")
        return redirect(appointment_request.get_admin_url())

    def schedule_view(self, request, object_id):
        appointment_request = get_object_or_404(
            AppointmentRequest, pk=object_id if str(object_id).isdigit() else None
        )
        if not self.has_change_permission(request, appointment_request):
            raise PermissionDenied
        return booking.booking_page(self, request, None, appointment_request)
