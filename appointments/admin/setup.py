"""What the owner sets up once: who can be booked (practitioners) and the kinds of visit."""

from django.contrib import admin

from ..models import Practitioner, VisitType


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "is_bookable", "user", "order"]
    list_filter = ["is_bookable"]
    search_fields = ["name"]
    fields = ["name", "credentials", "is_bookable", "user", "order"]

    def has_delete_permission(self, request, obj=None):
        # A practitioner with visits stays (untick "can be booked" instead); the database
        # refuses the delete anyway (PROTECT).
        return request.user.is_superuser and (obj is None or not obj.visits.exists())


@admin.register(VisitType)
class VisitTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "duration_minutes",
        "buffer_minutes",
        "is_for_new_patients",
        "is_bookable_online",
        "is_active",
        "order",
    ]
    list_filter = ["is_active", "is_for_new_patients", "is_bookable_online"]
    search_fields = ["name"]
    fields = [
        "name",
        "duration_minutes",
        "buffer_minutes",
        "is_for_new_patients",
        "is_bookable_online",
        "is_active",
        "order",
    ]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and (obj is None or not obj.visits.exists())
