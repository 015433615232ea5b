from django.contrib import admin, messages

from . import outbox
from .models import AppointmentRequest, ContactMessage, Notification
from .services import release_from_spam


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


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(SubmissionAdmin):
    list_display = [
        "reference",
        "created_at",
        "name",
        "patient_type",
        "reason",
        "preferred_times_summary",
        "status",
        "is_spam",
    ]
    list_filter = ["status", "is_spam", "reason", "patient_type"]
    fieldsets = [
        (None, {"fields": ["reference", "created_at", "status"]}),
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
    ]
    readonly_fields = [
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
        "preferred_weekdays",
        "preferred_times_of_day",
        "preferred_dates",
        "source_article",
        "source_article_slug",
        "is_spam",
        "spam_reason",
    ]

    @admin.display(description="Preferred times")
    def preferred_times_summary(self, obj):
        return obj.preferred_times_summary()


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
