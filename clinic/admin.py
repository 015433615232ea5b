from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from . import staff_admin  # noqa: F401  (staff accounts: Users, Add staff member)
from .models import Closure, OpeningHours, Practice


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
        # There is exactly one practice record, added by those the model permissions allow.
        return super().has_add_permission(request) and not Practice.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
