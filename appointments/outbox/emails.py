"""The outbox's emails, rendered when they are delivered (so a template fix reaches mail still
waiting to be sent, a cancel link's age counts from when the email leaves, and task arguments
carry ids only).

One renderer per notification kind, listed in RENDERERS at the end. Subjects and staff emails
never carry patient data: references and admin links only.
"""

from collections.abc import Callable
from email.message import MIMEPart

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from clinic.models import Practice

from ..models import Notification, NotificationKind, VisitChange
from .calendar_files import site_domain, visit_calendar


def render(notification: Notification) -> EmailMessage:
    message = RENDERERS[notification.kind](notification)
    message.to = [notification.recipient]
    return message


def _email(subject: str, template: str, context: dict) -> EmailMessage:
    body = render_to_string(f"appointments/email/{template}.txt", context)
    # RFC 3834: sent by a program, so auto-responders (out-of-office replies) stay quiet.
    return EmailMessage(
        subject=subject, body=body, headers={"Auto-Submitted": "auto-generated"}
    )


# Requests and messages -------------------------------------------------------------------------


def _submission_email(
    subject: str, template: str, notification: Notification
) -> EmailMessage:
    context = {
        "submission": notification.submission,
        "practice": Practice.get_current(),
    }
    return _email(subject, template, context)


def render_staff_new_request(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _submission_email(
        f"New appointment request {reference}", "staff_new_request", notification
    )


def render_staff_new_message(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _submission_email(
        f"New message {reference}", "staff_new_message", notification
    )


def render_patient_acknowledgement(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _submission_email(
        f"We received your appointment request ({reference})",
        "patient_acknowledgement",
        notification,
    )


def render_message_acknowledgement(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _submission_email(
        f"We received your message ({reference})",
        "message_acknowledgement",
        notification,
    )


# Visits ----------------------------------------------------------------------------------------


def _visit_context(notification: Notification) -> dict:
    visit = notification.visit
    return {
        "reference": notification.reference,
        "admin_url": settings.SITE_URL + visit.get_admin_url(),
        "practice": Practice.get_current(),
        "when": visit.time_in_words,
        "practitioner": str(visit.practitioner),
        "visit_type": visit.visit_type.name if visit.visit_type else "",
        "cancel_url": settings.SITE_URL
        + reverse("appointments:visit_cancel", args=[visit.cancel_token]),
    }


def _attach_calendar(
    message, visit, notification, *, method="REQUEST", name="visit.ics"
):
    part = MIMEPart()
    part.set_content(
        visit_calendar(
            visit,
            practice=Practice.get_current(),
            domain=site_domain(),
            method=method,
            # Rendered at delivery: the file describes the visit as it is now.
            sequence=visit.sequence,
            attendee=notification.recipient,
        ).decode(),
        subtype="calendar",
        # RFC 6047: the method on the part too, so that mail apps show an invitation or a
        # cancellation rather than only a file.
        params={"method": method},
        disposition="attachment",
        filename=name,
    )
    message.attach(part)


def render_visit_confirmation(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    message = _email(
        f"Your visit is booked ({context['reference']})", "visit_confirmation", context
    )
    _attach_calendar(message, notification.visit, notification)
    return message


def render_series_confirmation(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    visits = list(
        notification.visit.series.visits.booked()
        .select_related("practitioner")
        .order_by("starts_at")
    )
    context["visits"] = visits
    message = _email(
        f"Your visits are booked ({context['reference']})",
        "visit_series_confirmation",
        context,
    )
    for number, visit in enumerate(visits, start=1):
        _attach_calendar(message, visit, notification, name=f"visit-{number}.ics")
    return message


def render_visit_moved(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    message = _email(
        f"Your visit has moved ({context['reference']})", "visit_moved", context
    )
    _attach_calendar(message, notification.visit, notification)
    return message


def render_visit_cancelled(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    message = _email(
        f"Your visit is cancelled ({context['reference']})", "visit_cancelled", context
    )
    _attach_calendar(message, notification.visit, notification, method="CANCEL")
    return message


def render_visit_reminder(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    return _email(
        f"Reminder of your visit ({context['reference']})",
        "visit_reminder",
        context,
    )


def render_cancellation_notice(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    return _email(
        f"Visit cancelled online ({context['reference']})",
        "staff_visit_cancelled",
        context,
    )


def render_move_notice(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    return _email(
        f"Visit moved online ({context['reference']})", "staff_visit_moved", context
    )


def render_waitlist_offer(notification: Notification) -> EmailMessage:
    context = _visit_context(notification)
    offer = notification.waitlist_offer
    context.update(
        offer_when=offer.time_in_words,
        accept_url=settings.SITE_URL
        + reverse("appointments:waitlist_offer", args=[offer.token]),
    )
    return _email(
        f"An earlier time is free ({context['reference']})", "waitlist_offer", context
    )


# Times held online ----------------------------------------------------------------------------


def _hold_context(notification: Notification) -> dict:
    context = _visit_context(notification)
    visit = notification.visit
    context["hold_ends"] = visit.hold_ends_in_words
    # Held when picked (a hold), or booked at once (a returning patient): by its first step,
    # so the front desk's email reads right even after someone confirmed the hold.
    first = visit.changes.order_by("changed_at", "pk").first()
    context["is_held"] = first is None or first.action == VisitChange.Action.HELD
    context["booking_url"] = settings.SITE_URL + reverse("appointments:online_booking")
    return context


def render_visit_held(notification: Notification) -> EmailMessage:
    context = _hold_context(notification)
    return _email(
        f"We are holding your time; we will confirm it ({context['reference']})",
        "visit_held",
        context,
    )


def render_hold_declined(notification: Notification) -> EmailMessage:
    context = _hold_context(notification)
    return _email(
        f"We could not confirm the time you chose ({context['reference']})",
        "hold_declined",
        context,
    )


def render_hold_expired(notification: Notification) -> EmailMessage:
    context = _hold_context(notification)
    return _email(
        f"The time you chose is no longer held ({context['reference']})",
        "hold_expired",
        context,
    )


def render_hold_released(notification: Notification) -> EmailMessage:
    # No calendar file: the patient's calendar never received this time (it was only held).
    context = _hold_context(notification)
    return _email(
        f"You let the held time go ({context['reference']})",
        "hold_released",
        context,
    )


def render_staff_new_hold(notification: Notification) -> EmailMessage:
    context = _hold_context(notification)
    subject = (
        "A time was picked online: confirm or decline"
        if context["is_held"]
        else "A visit was booked online"
    )
    return _email(
        f"{subject} ({context['reference']})",
        "staff_new_hold",
        context,
    )


RENDERERS: dict[str, Callable[[Notification], EmailMessage]] = {
    NotificationKind.STAFF_NEW_REQUEST: render_staff_new_request,
    NotificationKind.STAFF_NEW_MESSAGE: render_staff_new_message,
    NotificationKind.PATIENT_ACKNOWLEDGEMENT: render_patient_acknowledgement,
    NotificationKind.MESSAGE_ACKNOWLEDGEMENT: render_message_acknowledgement,
    NotificationKind.VISIT_CONFIRMATION: render_visit_confirmation,
    NotificationKind.VISIT_SERIES_CONFIRMATION: render_series_confirmation,
    NotificationKind.VISIT_MOVED: render_visit_moved,
    NotificationKind.VISIT_CANCELLED: render_visit_cancelled,
    NotificationKind.VISIT_REMINDER: render_visit_reminder,
    NotificationKind.CANCELLATION_NOTICE: render_cancellation_notice,
    NotificationKind.MOVE_NOTICE: render_move_notice,
    NotificationKind.WAITLIST_OFFER: render_waitlist_offer,
    NotificationKind.VISIT_HELD: render_visit_held,
    NotificationKind.HOLD_DECLINED: render_hold_declined,
    NotificationKind.HOLD_EXPIRED: render_hold_expired,
    NotificationKind.HOLD_RELEASED: render_hold_released,
    NotificationKind.STAFF_NEW_HOLD: render_staff_new_hold,
}
