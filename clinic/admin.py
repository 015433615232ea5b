from django.contrib import admin
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from .models import BackupRun, Closure, OpeningHours, Practice


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
        ("Footer", {"fields": ["copyright_notice"], "classes": ["collapse"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        # One record: staff go straight to its form instead of a list of one.
        practice = Practice.objects.first()
        if practice is not None and self.has_view_or_change_permission(
            request, practice
        ):
            return redirect(reverse("admin:clinic_practice_change", args=[practice.pk]))
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        # There is exactly one practice record.
        return not Practice.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


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
