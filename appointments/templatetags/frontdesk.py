"""The front desk's inbox on the admin home: what is waiting, today's visits, who to call, what
could not be sent, and (for the owner) what is still to set up. A fixed number of queries
whatever the number of requests, visits or emails: each list is one query, cut at LIST_SIZE."""

import datetime

from django import template
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from clinic import calendar
from clinic.models import Practice
from education.models import Article

from ..models import (
    AppointmentRequest,
    CallNeeded,
    ContactMessage,
    MessageStatus,
    Notification,
    NotificationStatus,
    Practitioner,
    RequestStatus,
    Visit,
    VisitChange,
    VisitType,
)

register = template.Library()

LIST_SIZE = 10
RECENT_CANCELLATIONS = datetime.timedelta(days=7)


def _waiting_list(queryset, count):
    items = list(queryset[:LIST_SIZE])
    return {"items": items, "count": count, "more": max(0, count - len(items))}


def setup_warnings(practice) -> list[str]:
    """What the owner has not set up yet, in the order it matters to patients."""
    warnings = []
    if not ((practice and practice.email) or settings.FRONT_DESK_EMAIL):
        warnings.append(
            "No front-desk email address: new requests and messages are emailed to nobody. "
            "Enter the practice's email under Practice information."
        )
    if not (practice and practice.has_hours):
        warnings.append(
            "No opening hours: patients see “Call us for current hours”, and bookings are "
            "checked against a usual day only. Enter them under Practice information."
        )
    if not Practitioner.objects.filter(is_bookable=True).exists():
        warnings.append("No practitioner can be booked: add one under Practitioners.")
    if not VisitType.objects.active().exists():
        warnings.append(
            "No visit types (e.g. “New patient exam, 45 min”): add them under Visit types."
        )
    return warnings


def held_visits_context(user) -> dict:
    """Times patients picked online, still to answer (admin/includes/held_visits.html)."""
    held = Visit.objects.held().filter(ends_at__gt=timezone.now())
    return {
        "held_visits": _waiting_list(
            held.select_related("patient", "practitioner", "visit_type").order_by(
                F("hold_expires_at").asc(nulls_last=True), "starts_at"
            ),
            held.count(),
        ),
        "can_answer_holds": user.has_perm("appointments.change_visit"),
        "show_practitioners": Practitioner.objects.filter(is_bookable=True).count() > 1,
    }


@register.inclusion_tag("admin/includes/frontdesk_dashboard.html", takes_context=True)
def frontdesk_dashboard(context):
    user = context["request"].user
    practice = Practice.get_current()
    now = timezone.now()
    data = {
        # The held visits' Confirm and Decline buttons post from the dashboard.
        "csrf_token": context.get("csrf_token"),
        "show_requests": user.has_perm("appointments.view_appointmentrequest"),
        "can_book": user.has_perm("appointments.add_visit"),
        "has_front_desk_email": bool(
            (practice and practice.email) or settings.FRONT_DESK_EMAIL
        ),
    }
    if data["show_requests"]:
        requests = AppointmentRequest.objects.genuine()
        new = requests.filter(status=RequestStatus.NEW).order_by("created_at")
        data.update(
            new_count=new.count(),
            overdue_count=requests.overdue().count(),
        )
        data["new_requests"] = _waiting_list(new, data["new_count"])
    if user.has_perm("appointments.view_contactmessage"):
        messages = ContactMessage.objects.filter(status=MessageStatus.NEW).order_by(
            "created_at"
        )
        data["new_messages"] = _waiting_list(messages, messages.count())
        data["show_messages"] = True
    if user.has_perm("appointments.view_visit"):
        start, end = calendar.day_bounds(timezone.localdate())
        data["visits_today"] = list(
            Visit.objects.booked()
            .between(start, end)
            .select_related("patient", "practitioner", "visit_type")
            .order_by("starts_at")
        )
        # Patients without an email are told by phone: confirmations, moves, cancellations.
        data["calls"] = list(
            Visit.objects.exclude(call_needed=CallNeeded.NONE)
            .filter(ends_at__gt=now)
            .select_related("patient")
            .order_by("starts_at")[:50]
        )
        data["patient_cancellations"] = list(
            VisitChange.objects.filter(
                action=VisitChange.Action.CANCELLED,
                changed_by__isnull=True,
                changed_at__gt=now - RECENT_CANCELLATIONS,
            )
            .select_related("visit__patient")
            .order_by("-changed_at")[:LIST_SIZE]
        )
        data["show_visits"] = True
        data.update(held_visits_context(user))
    if user.has_perm("appointments.view_notification"):
        undelivered = Notification.objects.undelivered()
        failed = undelivered.filter(status=NotificationStatus.FAILED).select_related(
            "appointment_request", "contact_message", "visit__appointment_request"
        )
        data.update(
            show_notifications=True,
            failed=list(failed.order_by("-created_at")[:LIST_SIZE]),
            failed_count=failed.count(),
            # A few seconds' wait is normal; a quarter of an hour means mail is not going out.
            waiting_count=undelivered.exclude(status=NotificationStatus.FAILED)
            .filter(created_at__lt=now - datetime.timedelta(minutes=15))
            .count(),
        )
    if user.is_superuser:
        data["setup_warnings"] = setup_warnings(practice)
    if user.has_module_perms("education"):
        data["show_articles"] = True
        data["articles_due"] = list(Article.objects.needs_review()[:10])
    return data
