"""The emails of the outbox, rendered when they are delivered (so a template fix reaches mail
still waiting to be sent, and task arguments carry ids only).

Each notification kind has one renderer; a new kind registers its own:

    @renders(NotificationKind.VISIT_REMINDER)
    def render_visit_reminder(notification) -> EmailMessage: ...

Subjects and staff emails never carry patient data: references and admin links only.
"""

from collections.abc import Callable

from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from clinic.models import Practice

from .models import Notification, NotificationKind

Renderer = Callable[[Notification], EmailMessage]
RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register


def render(notification: Notification) -> EmailMessage:
    message = RENDERERS[notification.kind](notification)
    message.to = [notification.recipient]
    return message


def _email(subject: str, template: str, notification: Notification) -> EmailMessage:
    context = {
        "submission": notification.submission,
        "practice": Practice.get_current(),
    }
    body = render_to_string(f"appointments/email/{template}.txt", context)
    return EmailMessage(subject=subject, body=body)


@renders(NotificationKind.STAFF_NEW_REQUEST)
def render_staff_new_request(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _email(
        f"New appointment request {reference}", "staff_new_request", notification
    )


@renders(NotificationKind.STAFF_NEW_MESSAGE)
def render_staff_new_message(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _email(f"New message {reference}", "staff_new_message", notification)


@renders(NotificationKind.PATIENT_ACKNOWLEDGEMENT)
def render_patient_acknowledgement(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _email(
        f"We received your appointment request ({reference})",
        "patient_acknowledgement",
        notification,
    )


@renders(NotificationKind.MESSAGE_ACKNOWLEDGEMENT)
def render_message_acknowledgement(notification: Notification) -> EmailMessage:
    reference = notification.submission.reference
    return _email(
        f"We received your message ({reference})",
        "message_acknowledgement",
        notification,
    )
