"""The audit trail in the admin: status changes, and who opened or exported which requests."""

from django.contrib import admin
from django.db.models import Q

from ..models import AccessRecord, StatusChange
from .base import ReadOnlyAdmin


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
