import datetime

from django import template
from django.utils import timezone

from clinic import calendar
from education.models import Article

from ..models import (
    AppointmentRequest,
    CallNeeded,
    Notification,
    NotificationStatus,
    RequestStatus,
    Visit,
)

register = template.Library()


@register.inclusion_tag("admin/includes/frontdesk_dashboard.html", takes_context=True)
def frontdesk_dashboard(context):
    user = context["request"].user
    data = {
        "show_requests": user.has_perm("appointments.view_appointmentrequest"),
        "can_book": user.has_perm("appointments.add_visit"),
    }
    if data["show_requests"]:
        requests = AppointmentRequest.objects.genuine()
        start, end = calendar.day_bounds(timezone.localdate())
        data.update(
            new_count=requests.filter(status=RequestStatus.NEW).count(),
            overdue_count=requests.overdue().count(),
            visits_today=Visit.objects.booked().between(start, end).count(),
        )
    if user.has_perm("appointments.view_visit"):
        # Patients without an email are told by phone: confirmations, moves, cancellations.
        data["calls"] = list(
            Visit.objects.exclude(call_needed=CallNeeded.NONE)
            .filter(ends_at__gt=timezone.now())
            .select_related("patient")
            .order_by("starts_at")[:50]
        )
    if user.has_perm("appointments.view_notification"):
        undelivered = Notification.objects.undelivered()
        data.update(
            show_notifications=True,
            failed_count=undelivered.filter(status=NotificationStatus.FAILED).count(),
            # A few seconds' wait is normal; a quarter of an hour means mail is not going out.
            waiting_count=undelivered.exclude(status=NotificationStatus.FAILED)
            .filter(created_at__lt=timezone.now() - datetime.timedelta(minutes=15))
            .count(),
        )
    if user.has_module_perms("education"):
        data["show_articles"] = True
        data["articles_due"] = list(Article.objects.needs_review()[:10])
    return data
