"""The request list as CSV for staff with the export permission (django-import-export)."""

from django.utils import timezone
from import_export import fields, resources

from ..models import AppointmentRequest


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
