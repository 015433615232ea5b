"""The cancellation list in the admin: who is waiting for an earlier time, for which visit and
which days, what they were offered; staff may take someone off the list. Entries are made by
patients from their visit's page, so nothing here is added or edited field by field."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from ..models import WaitlistEntry, WaitlistStatus
from ..services.waitlist import withdraw_entries
from .base import html_table


class WaitingFilter(admin.SimpleListFilter):
    title = "still waiting"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.waiting()
        return queryset


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["patient", "visit_link", "window", "status", "created_at"]
    list_filter = [WaitingFilter, "status", "visit__practitioner"]
    search_fields = ["visit__reference", "visit__appointment_request__reference"]
    search_help_text = "Search by visit or request reference."
    date_hierarchy = "created_at"
    list_select_related = ["visit__patient", "visit__practitioner"]
    fields = ["patient", "visit_link", "earliest_day", "latest_day", "status", "offers"]
    readonly_fields = fields
    actions = ["take_off_the_list"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Patient", ordering="visit__patient__name")
    def patient(self, entry):
        return entry.visit.patient

    @admin.display(description="Visit now", ordering="visit__starts_at")
    def visit_link(self, entry):
        when = date_format(timezone.localtime(entry.visit.starts_at), "D M j, g:i A")
        return format_html('<a href="{}">{}</a>', entry.visit.get_admin_url(), when)

    @admin.display(description="Earlier times offered by email")
    def offers(self, entry):
        # A table rather than an inline: nothing here is edited, and an inline's empty
        # formset fields are invalid HTML.
        rows = [
            (
                date_format(timezone.localtime(offer.starts_at), "D M j, g:i A"),
                offer.get_status_display(),
                date_format(timezone.localtime(offer.created_at), "D M j, g:i A"),
            )
            for offer in entry.offers.order_by("created_at", "pk")
        ]
        if not rows:
            return "None yet."
        return html_table(["Time", "What happened", "Offered"], rows)

    @admin.display(description="Could come")
    def window(self, entry):
        return entry.window_in_words

    @admin.action(description="Take off the cancellation list", permissions=["change"])
    def take_off_the_list(self, request, queryset):
        count = withdraw_entries(queryset.filter(status=WaitlistStatus.WAITING))
        self.message_user(
            request,
            f"{count} patient{'s' if count != 1 else ''} taken off the cancellation list; "
            "their visits stay as they are.",
            messages.SUCCESS,
        )
