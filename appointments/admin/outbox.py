"""The outbox in the admin: each email's delivery status, and sending again."""

from django.contrib import admin, messages
from django.db.models import Q

from ..models import Notification
from ..services.outbox import send_again
from .base import ReadOnlyAdmin


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["kind", "recipient", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    verbose_name_plural = "Emails sent about this request"

    def has_add_permission(self, request, obj=None):
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
    search_fields = [
        "appointment_request__reference",
        "contact_message__reference",
        "visit__reference",
    ]
    date_hierarchy = "created_at"
    list_select_related = [
        "appointment_request",
        "contact_message",
        "visit__appointment_request",
    ]
    actions = ["send_again"]

    @admin.action(description="Send again now", permissions=["send"])
    def send_again(self, request, queryset):
        # Only emails about what this person may change: sending is a change, not a look.
        count = send_again(queryset.filter(self._sendable(request)))
        self.message_user(
            request, f"{count} notification(s) will be sent again.", messages.SUCCESS
        )

    def has_send_permission(self, request):
        return self._sendable(request) != Q(pk__in=[])

    @staticmethod
    def _sendable(request):
        about = Q(pk__in=[])
        if request.user.has_perm("appointments.change_appointmentrequest"):
            about |= Q(appointment_request__isnull=False)
        if request.user.has_perm("appointments.change_contactmessage"):
            about |= Q(contact_message__isnull=False)
        if request.user.has_perm("appointments.change_visit"):
            # A phone booking's emails, and the cancellation list's offers, have no request.
            about |= Q(
                appointment_request__isnull=True,
                contact_message__isnull=True,
                visit__isnull=False,
            )
        return about

    @admin.display(description="Reference")
    def about(self, obj):
        # The reference the email quotes: a visit booked by phone has no request.
        return obj.reference
