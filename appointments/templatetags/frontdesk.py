import datetime

from django import template
from django.apps import apps
from django.utils import timezone

from ..models import Notification, NotificationStatus, RequestStatus, Visit

register = template.Library()


def articles_due_for_review():
    """Articles whose medical review is due, or None when the education app has no such rule."""
    try:
        Article = apps.get_model("education", "Article")
    except LookupError:
        return None
    needs_review = getattr(Article.objects, "needs_review", None)
    return needs_review() if needs_review else None


@register.inclusion_tag("admin/includes/frontdesk_dashboard.html", takes_context=True)
def frontdesk_dashboard(context):
    from ..models import AppointmentRequest

    user = context["request"].user
    data = {"show_requests": user.has_perm("appointments.view_appointmentrequest")}
    if data["show_requests"]:
        requests = AppointmentRequest.objects.genuine()
        today = timezone.localdate()
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(today, datetime.time.min, tzinfo=tz)
        data.update(
            new_count=requests.filter(status=RequestStatus.NEW).count(),
            overdue_count=requests.overdue().count(),
            visits_today=Visit.objects.booked()
            .between(start, start + datetime.timedelta(days=1))
            .count(),
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
        due = articles_due_for_review()
        data["show_articles"] = True
        data["articles_due"] = None if due is None else list(due[:10])
    return data
