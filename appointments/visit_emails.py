"""The outbox's emails about visits: confirmation (with .ics), reminder, cancellation notice.

Registered with appointments.notifications' renderer registry (imported in apps.ready()).
Rendered at delivery time, so the cancel link's age counts from when the email leaves.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from clinic.models import Practice

from .ics import site_domain, visit_calendar
from .models import Notification, NotificationKind
from .notifications import renders
from .workflow import cancel_token, describe_visit_time, practitioner_name


def _context(notification: Notification) -> dict:
    visit = notification.visit
    return {
        "reference": notification.appointment_request.reference,
        "admin_url": notification.appointment_request.admin_url,
        "practice": Practice.get_current(),
        "when": describe_visit_time(visit),
        "practitioner": practitioner_name(visit.practitioner),
        "cancel_url": settings.SITE_URL
        + reverse("appointments:visit_cancel", args=[cancel_token(visit)]),
    }


def _email(subject: str, template: str, context: dict) -> EmailMessage:
    body = render_to_string(f"appointments/email/{template}.txt", context)
    return EmailMessage(subject=subject, body=body)


@renders(NotificationKind.VISIT_CONFIRMATION)
def render_visit_confirmation(notification: Notification) -> EmailMessage:
    context = _context(notification)
    message = _email(
        f"Your visit is booked ({context['reference']})", "visit_confirmation", context
    )
    message.attach(
        "visit.ics",
        visit_calendar(
            notification.visit, practice=context["practice"], domain=site_domain()
        ).decode(),
        "text/calendar",
    )
    return message


@renders(NotificationKind.VISIT_REMINDER)
def render_visit_reminder(notification: Notification) -> EmailMessage:
    context = _context(notification)
    return _email(
        f"Reminder of your visit ({context['reference']})",
        "visit_reminder",
        context,
    )


@renders(NotificationKind.CANCELLATION_NOTICE)
def render_cancellation_notice(notification: Notification) -> EmailMessage:
    context = _context(notification)
    return _email(
        f"Visit cancelled online ({context['reference']})",
        "staff_visit_cancelled",
        context,
    )
