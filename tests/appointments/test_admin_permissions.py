"""Staff who may only look cannot change data or send email from the admin, and exporting (which
writes to the audit trail) takes a POST."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from appointments.models import AccessRecord, Notification
from tests.factories import (
    make_appointment_request,
    make_contact_message,
    make_front_desk_user,
    make_staff_user,
)

pytestmark = pytest.mark.django_db

NOTIFICATIONS = reverse("admin:appointments_notification_changelist")
EXPORT = reverse("admin:appointments_appointmentrequest_export")


def viewer_of(*codenames):
    user = make_staff_user()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def failed_notification(**about):
    return Notification.objects.create(
        kind="staff_new_request"
        if "appointment_request" in about
        else "staff_new_message",
        recipient="desk@example.com",
        status="failed",
        attempts=12,
        last_error="Connection refused",
        **about,
    )


def test_staff_who_only_view_notifications_cannot_send_them_again(staff_client):
    notification = failed_notification(appointment_request=make_appointment_request())
    client = staff_client(viewer_of("view_notification", "view_appointmentrequest"))

    page = client.get(NOTIFICATIONS)
    posted = client.post(
        NOTIFICATIONS, {"action": "send_again", "_selected_action": [notification.pk]}
    )

    assert "Send again now" not in page.content.decode()
    assert posted.status_code in (200, 302)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 12)


def test_the_front_desk_sends_again_only_what_it_may_change(staff_client):
    about_request = failed_notification(appointment_request=make_appointment_request())
    about_message = failed_notification(contact_message=make_contact_message())
    desk = make_front_desk_user()
    # This desk may change requests, but only look at messages.
    desk.groups.first().permissions.remove(
        Permission.objects.get(codename="change_contactmessage")
    )
    client = staff_client(desk)

    client.post(
        NOTIFICATIONS,
        {
            "action": "send_again",
            "_selected_action": [about_request.pk, about_message.pk],
        },
    )

    about_request.refresh_from_db()
    about_message.refresh_from_db()
    assert (about_request.status, about_message.status) == ("pending", "failed")
    assert about_request.next_attempt_at <= timezone.now()


def test_staff_who_only_view_messages_cannot_take_one_out_of_spam(staff_client):
    message = make_contact_message(status="spam", spam_reason="honeypot")
    client = staff_client(viewer_of("view_contactmessage"))

    client.post(
        reverse("admin:appointments_contactmessage_changelist"),
        {"action": "mark_not_spam", "_selected_action": [message.pk]},
    )

    message.refresh_from_db()
    assert (message.status, message.notifications.count()) == ("spam", 0)


def test_staff_who_only_view_requests_cannot_take_one_out_of_spam(staff_client):
    spam = make_appointment_request(status="spam", spam_reason="honeypot")
    client = staff_client(viewer_of("view_appointmentrequest"))

    client.post(
        reverse("admin:appointments_appointmentrequest_changelist"),
        {"action": "mark_not_spam", "_selected_action": [spam.pk]},
    )

    spam.refresh_from_db()
    assert (spam.status, spam.notifications.count()) == ("spam", 0)


def test_export_is_a_post_never_a_link(staff_client):
    make_appointment_request()
    client = staff_client(make_front_desk_user())

    by_link = client.get(EXPORT)
    listing = client.get(reverse("admin:appointments_appointmentrequest_changelist"))
    by_button = client.post(EXPORT)

    assert by_link.status_code == 405
    assert f'<form method="post" action="{EXPORT}' in listing.content.decode()
    assert by_button["Content-Type"].startswith("text/csv")
    assert AccessRecord.objects.filter(action="exported").count() == 1
