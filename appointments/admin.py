import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from import_export import fields, resources
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from clinic.models import Practice

from . import outbox
from .models import (
    ALLOWED_TRANSITIONS,
    SCHEDULABLE_STATUSES,
    AccessRecord,
    AppointmentRequest,
    ContactMessage,
    Notification,
    RequestStatus,
    StatusChange,
    Visit,
)
from .services import release_from_spam
from .workflow import (
    VisitConflict,
    WorkflowError,
    change_status,
    change_statuses,
    describe_visit_time,
    practitioner_name,
    record_access,
    schedule_visit,
)


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["kind", "recipient", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    verbose_name_plural = "Emails sent about this request"

    def has_add_permission(self, request, obj=None):
        return False


class SubmissionAdmin(admin.ModelAdmin):
    """What the patient typed is shown read-only: staff never edit the patient's own words."""

    date_hierarchy = "created_at"
    inlines = [NotificationInline]
    search_fields = ["reference", "name", "phone", "email"]
    actions = ["mark_not_spam"]

    @admin.action(description="Not spam: move to the normal queue and notify")
    def mark_not_spam(self, request, queryset):
        released = 0
        for submission in queryset.filter(is_spam=True):
            release_from_spam(submission=submission)
            released += 1
        self.message_user(
            request,
            f"{released} moved out of spam; their notifications are on their way.",
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# AppointmentRequestAdmin: see the front-desk section at the end of this module.


@admin.register(ContactMessage)
class ContactMessageAdmin(SubmissionAdmin):
    list_display = ["reference", "created_at", "name", "status", "is_spam"]
    list_filter = ["status", "is_spam"]
    fields = [
        "reference",
        "created_at",
        "status",
        "name",
        "phone",
        "email",
        "message",
        "is_spam",
        "spam_reason",
    ]
    readonly_fields = [
        "reference",
        "created_at",
        "name",
        "phone",
        "email",
        "message",
        "is_spam",
        "spam_reason",
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records staff look at but never add, edit or delete here (written by the site itself)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Delivery status for staff: what was sent, what is waiting, and why a send failed."""

    list_display = [
        "created_at",
        "kind",
        "about",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["appointment_request__reference", "contact_message__reference"]
    date_hierarchy = "created_at"
    list_select_related = ["appointment_request", "contact_message"]
    actions = ["send_again"]

    @admin.action(description="Send again now")
    def send_again(self, request, queryset):
        count = outbox.retry_now(queryset)
        self.message_user(
            request, f"{count} notification(s) will be sent again.", messages.SUCCESS
        )

    @admin.display(description="Reference")
    def about(self, obj):
        return obj.submission.reference


# --- Front desk: working requests, scheduling, audit ------------------------------------------

PRACTITIONERS_GROUP = "Practitioners"
MAX_BOOKING_AHEAD = datetime.timedelta(days=2 * 366)


def practitioners():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=PRACTITIONERS_GROUP)
        .order_by("first_name", "last_name", "username")
    )


def _table(headers, rows):
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headers)),
        format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                for row in rows
            ),
        ),
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


class NeedsAnswerFilter(admin.SimpleListFilter):
    title = "waiting for an answer"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("overdue", "More than one business day")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        return queryset


class AppointmentRequestResource(resources.ModelResource):
    status = fields.Field(attribute="get_status_display", column_name="status")
    patient_type = fields.Field(
        attribute="get_patient_type_display", column_name="new or returning"
    )
    reason = fields.Field(attribute="get_reason_display", column_name="reason")
    preferred_times = fields.Field(
        attribute="preferred_times_summary", column_name="preferred times"
    )
    phone = fields.Field(column_name="phone")
    preferred_contact_method = fields.Field(
        attribute="get_preferred_contact_method_display", column_name="contact by"
    )

    class Meta:
        model = AppointmentRequest
        fields = [
            "reference",
            "created_at",
            "status",
            "name",
            "patient_type",
            "reason",
            "preferred_times",
            "phone",
            "email",
            "preferred_contact_method",
            "source_article_slug",
        ]
        export_order = fields

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        # The CSV opens in a spreadsheet: patient-typed text must never run as a formula.
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
        return value

    def dehydrate_phone(self, appointment_request):
        phone = appointment_request.phone
        return phone.as_national if phone else ""

    def dehydrate_created_at(self, appointment_request):
        return f"{timezone.localtime(appointment_request.created_at):%Y-%m-%d %H:%M}"


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
        "is_spam",
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
        ("Spam checks", {"fields": ["is_spam", "spam_reason"]}),
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
        return _table(
            ["When (Boston time)", "Practitioner", "State"],
            [
                (
                    describe_visit_time(visit),
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
        return _table(
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

    @admin.action(
        description="Not spam: move to the normal queue and notify",
        permissions=["change"],
    )
    def mark_not_spam(self, request, queryset):
        # Through the workflow, so the step shows in the status history.
        self._bulk_status(request, queryset, RequestStatus.NEW)

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
        starts_at = datetime.datetime.combine(
            day, time, tzinfo=timezone.get_current_timezone()
        )
        if timezone.localtime(starts_at).time() != time:
            raise forms.ValidationError(
                {"time": "That time does not exist on this day (the clocks change)."},
                code="nonexistent_time",
            )
        if starts_at <= timezone.now():
            raise forms.ValidationError(
                {"date": "Choose a date and time in the future."}, code="past"
            )
        if day > timezone.localdate() + MAX_BOOKING_AHEAD:
            raise forms.ValidationError(
                {"date": "Choose a date within the next two years."}, code="too_far"
            )
        cleaned_data["starts_at"] = starts_at
        cleaned_data["duration"] = datetime.timedelta(
            minutes=cleaned_data.get("duration") or 30
        )
        practice = Practice.get_current()
        closed = practice and practice.why_closed_at(
            starts_at, starts_at + cleaned_data["duration"]
        )
        if closed and not cleaned_data.get("book_anyway"):
            # A patient sent to a closed office is worse than one more click for staff.
            raise forms.ValidationError(
                f"{closed} To book it anyway, tick “Book it anyway” and press the button "
                "again.",
                code="practice_closed",
            )
        return cleaned_data


class SpanForm(forms.Form):
    date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and not datetime.date(2000, 1, 1) <= day <= datetime.date(2999, 12, 1):
            raise forms.ValidationError("Choose a date between 2000 and 2999.")
        return day

    span = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)


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
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(
            days[-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
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


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "reference", "from_status", "to_status", "changed_by"]
    list_filter = ["to_status"]
    search_fields = ["appointment_request__reference"]
    date_hierarchy = "changed_at"
    list_select_related = ["appointment_request", "changed_by"]

    @admin.display(description="Request")
    def reference(self, change):
        return change.appointment_request.reference


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyAdmin):
    """The audit trail, for superusers: nobody can edit or delete it here."""

    list_display = ["at", "username", "action", "reference_list"]
    list_filter = ["action", "username"]
    search_fields = ["username", "references"]
    date_hierarchy = "at"

    @admin.display(description="Requests")
    def reference_list(self, record):
        shown = ", ".join(record.references[:10])
        more = len(record.references) - 10
        return f"{shown} and {more} more" if more > 0 else shown

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if term:
            return queryset.filter(
                Q(username__icontains=search_term) | Q(references__contains=[term])
            ), False
        return queryset, False
