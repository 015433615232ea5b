"""Patients in the admin: the record a phone call starts from, with everything that hangs on it
(requests, visits past and future, messages), booking from it, and merging duplicates."""

import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ..admin_forms import MergePatientForm
from ..models import AccessRecord, Patient
from ..services.frontdesk import record_access
from ..services.patients import PatientMergeError, merge_patients
from .base import html_table


def _link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["name", "phone_number", "email", "next_visit", "created_at"]
    search_fields = ["name", "email"]
    search_help_text = "Search by name, phone or email."
    date_hierarchy = "created_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "name",
                    "phone",
                    "email",
                    "preferred_contact_method",
                ]
            },
        ),
        ("For staff", {"fields": ["notes"]}),
        ("Upcoming visits", {"fields": ["upcoming_visits"]}),
        ("Past visits", {"fields": ["past_visits"]}),
        ("Requests and messages", {"fields": ["requests", "messages_sent"]}),
    ]
    readonly_fields = [
        "number",
        "upcoming_visits",
        "past_visits",
        "requests",
        "messages_sent",
    ]
    change_form_template = "admin/appointments/patient/change_form.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # A new patient has nothing yet to list.
            return [
                (
                    None,
                    {
                        "fields": [
                            "name",
                            "phone",
                            "email",
                            "preferred_contact_method",
                            "notes",
                        ]
                    },
                )
            ]
        return self.fieldsets

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="Phone")
    def phone_number(self, patient):
        return patient.phone.as_national if patient.phone else ""

    @admin.display(description="Next visit")
    def next_visit(self, patient):
        upcoming = getattr(patient, "upcoming", None)
        if upcoming is None:
            upcoming = (
                patient.visits.booked()
                .filter(starts_at__gt=timezone.now())
                .order_by("starts_at")
                .first()
            )
        return (
            f"{timezone.localtime(upcoming.starts_at):%a %b %-d, %-I:%M %p}"
            if upcoming
            else "—"
        )

    @admin.display(description="Patient number")
    def number(self, patient):
        return patient.audit_label

    def _visit_table(self, visits):
        if not visits:
            return "None."
        return html_table(
            ["When (Boston time)", "With", "Visit type", "State"],
            [
                (
                    _link(visit.get_admin_url(), visit.time_in_words),
                    str(visit.practitioner),
                    visit.visit_type.name if visit.visit_type else "—",
                    visit.get_status_display(),
                )
                for visit in visits
            ],
        )

    @admin.display(description="Upcoming visits")
    def upcoming_visits(self, patient):
        visits = (
            patient.visits.filter(starts_at__gt=timezone.now())
            .select_related("practitioner", "visit_type")
            .order_by("starts_at")
        )
        return self._visit_table(list(visits))

    @admin.display(description="Past visits")
    def past_visits(self, patient):
        visits = (
            patient.visits.filter(starts_at__lte=timezone.now())
            .select_related("practitioner", "visit_type")
            .order_by("-starts_at")
        )
        return self._visit_table(list(visits))

    @admin.display(description="Requests")
    def requests(self, patient):
        rows = [
            (
                _link(
                    reverse(
                        "admin:appointments_appointmentrequest_change",
                        args=[item.pk],
                    ),
                    item.reference,
                ),
                f"{timezone.localtime(item.created_at):%b %-d, %Y}",
                item.get_reason_display(),
                item.get_status_display(),
            )
            for item in patient.appointment_requests.order_by("-created_at")
        ]
        if not rows:
            return "None."
        return html_table(["Reference", "Received", "Reason", "Status"], rows)

    @admin.display(description="Messages")
    def messages_sent(self, patient):
        rows = [
            (
                _link(
                    reverse("admin:appointments_contactmessage_change", args=[item.pk]),
                    item.reference,
                ),
                f"{timezone.localtime(item.created_at):%b %-d, %Y}",
                item.get_status_display(),
            )
            for item in patient.contact_messages.order_by("-created_at")
        ]
        if not rows:
            return "None."
        return html_table(["Reference", "Received", "Status"], rows)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 7 and not re.search(r"[A-Za-z@]", search_term):
            # Staff type phone numbers the way they read them: (617) 555-0123.
            queryset |= self.model.objects.filter(phone__contains=digits[-10:])
        return queryset, may_have_duplicates

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            patient = response.context_data.get("original")
            if patient is not None:
                record_access(
                    user=request.user,
                    action=AccessRecord.Action.VIEWED_PATIENT,
                    references=[patient.audit_label],
                )
        return response

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        can_book = request.user.has_perm("appointments.add_visit")
        context["can_book"] = obj is not None and can_book
        context["can_merge"] = obj is not None and self.has_change_permission(
            request, obj
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if "_book" in request.POST:
            return redirect(
                f"{reverse('admin:appointments_visit_book')}?patient={obj.pk}"
            )
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name="appointments_patient_merge",
            ),
            *super().get_urls(),
        ]

    def merge_view(self, request, object_id):
        keep = get_object_or_404(Patient, pk=object_id)
        if not self.has_change_permission(request, keep):
            raise PermissionDenied
        form = MergePatientForm(request.POST or None, keep=keep)
        duplicate = None
        status = 200
        if request.method == "POST":
            if form.is_valid():
                duplicate = form.cleaned_data["duplicate"]
                if "_confirm" in request.POST:
                    try:
                        merge_patients(keep=keep, duplicate=duplicate, by=request.user)
                    except PatientMergeError as error:
                        form.add_error(None, str(error))
                        status = 400
                    else:
                        messages.success(
                            request,
                            f"{duplicate.audit_label} is merged into this record.",
                        )
                        return redirect(keep.get_admin_url())
            else:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge a duplicate into {keep.audit_label}",
            "opts": self.opts,
            "original": keep,
            "form": form,
            "duplicate": duplicate,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/appointments/patient/merge.html", context, status=status
        )
