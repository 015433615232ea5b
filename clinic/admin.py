from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from sorl.thumbnail import ImageField

from . import staff_admin  # noqa: F401  (staff accounts: Users, Add staff member)
from .models import BackupRun, Closure, OpeningHours, Practice, Tagline
from .widgets import LabelledFileInput


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    verbose_name_plural = (
        "Opening hours (leave empty and the site says “Call us for current hours”)"
    )


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    verbose_name_plural = "Closures and holidays"


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "is_accepting_online_requests", "updated_at"]
    inlines = [OpeningHoursInline, ClosureInline]
    fieldsets = [
        (None, {"fields": ["name", "practitioner_name", "practitioner_credentials"]}),
        (
            "Address and contact",
            {
                "fields": [
                    "street_address",
                    "neighbourhood",
                    ("city", "state", "postal_code"),
                    "phone",
                    "email",
                ]
            },
        ),
        (
            "Online requests",
            {
                "fields": [
                    "is_accepting_online_requests",
                    "online_requests_closed_message",
                    "request_min_notice_hours",
                    "request_horizon_days",
                    "request_retention_days",
                ]
            },
        ),
        (
            "Online booking",
            {
                "fields": [
                    "online_booking",
                    "hold_hours",
                    "online_booking_horizon_days",
                    "online_booking_step_minutes",
                ],
                "description": "Off until you switch it on. Patients then pick a real open "
                "time; it is held for them and shows on the dashboard for you to confirm or "
                "decline. Only visit types ticked “patients may book it online” are offered.",
            },
        ),
        (
            "Language assistance and nondiscrimination notices",
            {
                "fields": [
                    "languages_spoken",
                    "section_1557_coordinator",
                    (
                        "section_1557_coordinator_phone",
                        "section_1557_coordinator_email",
                    ),
                ],
                "description": "The notices themselves are fixed text; the translated "
                "taglines are under “Language assistance taglines”.",
            },
        ),
        (
            "About the practice and practitioner",
            {
                "fields": [
                    "practitioner_photo",
                    "practitioner_photo_alt",
                    "practitioner_bio",
                    "practitioner_qualifications",
                    "conditions_treated",
                    "first_visit",
                    "insurance_and_payment",
                    "parking_and_transit",
                ],
                "description": "What a new patient wants to know before booking. Each part "
                "shows on the About page (and the home or visit page) only once filled in; "
                "nothing is shown in its place while empty.",
            },
        ),
        (
            "For search engines and maps",
            {
                "fields": [
                    "medical_specialty",
                    ("latitude", "longitude"),
                    "map_url",
                    "same_as",
                ],
                "description": "Not shown on the pages: these go into the structured data "
                "that search engines and map apps read.",
                "classes": ["collapse"],
            },
        ),
        ("Footer", {"fields": ["copyright_notice"], "classes": ["collapse"]}),
    ]

    formfield_overrides = {ImageField: {"widget": LabelledFileInput}}

    def changelist_view(self, request, extra_context=None):
        # One record: staff go straight to its form instead of a list of one.
        practice = Practice.objects.first()
        if practice is not None and self.has_view_or_change_permission(
            request, practice
        ):
            return redirect(reverse("admin:clinic_practice_change", args=[practice.pk]))
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        # There is exactly one practice record, added by those the model permissions allow.
        return super().has_add_permission(request) and not Practice.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewFilter(admin.SimpleListFilter):
    title = "translator review"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", "Not yet reviewed"), ("yes", "Reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.unreviewed()
        if self.value() == "yes":
            return queryset.filter(reviewed_on__isnull=False)
        return queryset


class TaglineForm(forms.ModelForm):
    class Meta:
        model = Tagline
        fields = [
            "language_code",
            "english_name",
            "language_name",
            "direction",
            "sort_order",
            "text",
            "source",
            "reviewed_by",
            "reviewed_on",
        ]
        # Arabic or Farsi typed into a left-to-right box comes out jumbled: let the browser
        # follow the text's own direction.
        widgets = {
            "language_name": forms.TextInput(attrs={"dir": "auto"}),
            "text": forms.Textarea(attrs={"dir": "auto", "rows": 4}),
        }


@admin.register(Tagline)
class TaglineAdmin(SimpleHistoryAdmin):
    form = TaglineForm
    list_display = [
        "english_name",
        "name_in_language",
        "language_code",
        "sort_order",
        "is_reviewed",
        "reviewed_by",
        "reviewed_on",
    ]
    list_display_links = ["english_name"]
    list_filter = [ReviewFilter, "direction"]
    search_fields = ["english_name", "language_name", "language_code", "text"]
    readonly_fields = ["created_at", "updated_at"]
    history_list_display = ["reviewed_by", "reviewed_on"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("language_code", "direction"),
                    ("english_name", "language_name"),
                    "text",
                    "sort_order",
                ]
            },
        ),
        (
            "Translator review",
            {
                "fields": ["source", ("reviewed_by", "reviewed_on")],
                "description": "Federal rules (45 CFR 92.201) require a qualified human "
                "translator to check machine-translated text. Fill in the reviewer and the "
                "date once one has.",
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def view_on_site(self, obj):
        return f"{reverse('language_assistance')}#tagline-{obj.language_code.lower()}"

    @admin.display(description="language (in itself)", ordering="language_name")
    def name_in_language(self, obj):
        return format_html(
            '<span lang="{}" dir="{}">{}</span>',
            obj.language_code,
            obj.direction,
            obj.language_name,
        )

    @admin.display(description="reviewed", boolean=True, ordering="reviewed_on")
    def is_reviewed(self, obj):
        return obj.is_reviewed


@admin.register(BackupRun)
class BackupRunAdmin(admin.ModelAdmin):
    """The record `manage.py backup` keeps of each run, for the owner (superusers) to read."""

    list_display = [
        "finished_at",
        "status",
        "size",
        "new_data",
        "duration",
        "snapshot_id",
        "error",
    ]
    list_filter = ["status"]
    date_hierarchy = "finished_at"

    @admin.display(description="size", ordering="size_bytes")
    def size(self, run):
        return filesizeformat(run.size_bytes) if run.size_bytes is not None else "–"

    @admin.display(description="new data stored", ordering="added_bytes")
    def new_data(self, run):
        return filesizeformat(run.added_bytes) if run.added_bytes is not None else "–"

    @admin.display(description="took")
    def duration(self, run):
        return f"{run.duration.total_seconds():.0f} s"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    # Written by the backup job only: a record nobody can edit or delete from the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
