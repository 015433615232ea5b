import datetime
import smtplib
import socket

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appointments import tasks
from appointments.models import (
    Notification,
    NotificationKind,
    VisitSeries,
    WaitlistEntry,
    WaitlistOffer,
)
from appointments.outbox import delivery
from appointments.services.intake import release_from_spam
from appointments.tasks import deliver_notification, schedule_sweep, sweep_outbox
from tests.factories import make_appointment_request, make_contact_message, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_server_down(settings):
    """Point the default mailer at a local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


def notify(submission, kind, recipient, **fields):
    about = (
        {"appointment_request": submission}
        if kind in {"staff_new_request", "patient_acknowledgement"}
        else {"contact_message": submission}
    )
    return Notification.objects.create(
        kind=kind, recipient=recipient, **about, **fields
    )


def test_staff_email_carries_only_the_reference_and_the_admin_link(
    mailoutbox, settings
):
    settings.SITE_URL = "https://www.kennis.example"
    appointment_request = make_appointment_request(
        name="Jane Doe", note="Numb toes", email="jane@example.com", reason="back_pain"
    )
    notification = notify(appointment_request, "staff_new_request", "desk@example.com")
    assert deliver_notification.call(notification.pk) is True
    [email] = mailoutbox
    admin_url = "https://www.kennis.example" + reverse(
        "admin:appointments_appointmentrequest_change", args=[appointment_request.pk]
    )
    assert email.to == ["desk@example.com"]
    assert email.subject == f"New appointment request {appointment_request.reference}"
    assert admin_url in email.body
    # The phone in any format ("555" alone would also match a row number such as 1555).
    patient_data = [
        "Jane",
        "Doe",
        "Numb",
        "jane@example.com",
        "Back",
        "5550123",
        "555-0123",
    ]
    for text in patient_data:
        assert text not in email.body + email.subject
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "sent",
        1,
        "",
    )


def test_patient_acknowledgement_has_reference_next_steps_and_phone_only(
    mailoutbox, practice
):
    appointment_request = make_appointment_request(
        note="Tingling", reason="neuropathy", email="jane@example.com"
    )
    notification = notify(
        appointment_request, "patient_acknowledgement", "jane@example.com"
    )
    deliver_notification.call(notification.pk)
    [email] = mailoutbox
    assert email.to == ["jane@example.com"]
    assert email.subject == (
        f"We received your appointment request ({appointment_request.reference})"
    )
    assert appointment_request.reference in email.body
    assert "What happens next" in email.body
    assert "(617) 720-2329" in email.body
    for health_detail in ["Tingling", "neuropathy", "Neuropathy", "nerve"]:
        assert health_detail not in email.body


def test_contact_message_notifications_render(mailoutbox):
    message = make_contact_message(email="sam@example.com", message="Parking?")
    notify(message, "staff_new_message", "desk@example.com")
    notify(message, "message_acknowledgement", "sam@example.com")
    assert tasks.deliver_due() == 2
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("desk@example.com", f"New message {message.reference}"),
        ("sam@example.com", f"We received your message ({message.reference})"),
    ]
    assert "Parking" not in "".join(m.body for m in mailoutbox)


def test_failed_send_is_recorded_and_retried_later_with_backoff(mail_server_down):
    appointment_request = make_appointment_request()
    notification = notify(appointment_request, "staff_new_request", "desk@example.com")
    before = timezone.now()
    deliver_notification.call(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.locked_at) == (
        "pending",
        1,
        None,
    )
    assert notification.last_error.startswith("ConnectionRefusedError: ")
    assert (
        before + datetime.timedelta(seconds=30)
        <= notification.next_attempt_at
        <= timezone.now() + datetime.timedelta(seconds=30)
    )
    retry = DBTaskResult.objects.get(task_path=deliver_notification.module_path)
    assert (retry.args_kwargs, retry.run_after) == (
        {"args": [notification.pk], "kwargs": {}},
        notification.next_attempt_at,
    )
    # Not due yet: a second run does nothing.
    assert deliver_notification.call(notification.pk) is False
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [delivery.retry_delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_after_the_last_attempt_the_notification_is_marked_failed(
    mail_server_down, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    notification = notify(
        make_appointment_request(), "staff_new_request", "desk@example.com", attempts=1
    )
    deliver_notification.call(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 2)


def test_delivery_left_unfinished_by_a_crashed_worker_is_taken_over(mailoutbox):
    appointment_request = make_appointment_request()
    stale = notify(
        appointment_request,
        "staff_new_request",
        "desk@example.com",
        status="sending",
        attempts=1,
        claimed_by="dead-host:123",
        locked_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    busy = notify(
        appointment_request,
        "patient_acknowledgement",
        "jane@example.com",
        status="sending",
        attempts=1,
        claimed_by="live-host:456",
        locked_at=timezone.now() - datetime.timedelta(seconds=10),
    )
    assert tasks.deliver_due() == 1
    stale.refresh_from_db()
    busy.refresh_from_db()
    assert [m.to for m in mailoutbox] == [["desk@example.com"]]
    assert (stale.status, stale.attempts) == ("sent", 2)
    assert (busy.status, busy.claimed_by) == ("sending", "live-host:456")


def test_sent_notification_is_never_sent_twice(mailoutbox):
    notification = notify(
        make_appointment_request(), "staff_new_request", "desk@example.com"
    )
    deliver_notification.call(notification.pk)
    deliver_notification.call(notification.pk)
    tasks.deliver_due()
    assert len(mailoutbox) == 1


def test_failure_description_never_contains_the_recipient():
    notification = Notification(recipient="jane@example.com")
    refused = smtplib.SMTPRecipientsRefused(
        {"jane@example.com": (550, b"5.1.1 <jane@example.com> unknown")}
    )
    rejected = smtplib.SMTPDataError(554, b"Message from jane@example.com rejected")
    assert delivery.describe_failure(refused, notification) == (
        "SMTPRecipientsRefused: recipient refused (550)"
    )
    assert delivery.describe_failure(rejected, notification) == (
        "SMTPDataError: 554 Message from [recipient] rejected"
    )


def test_one_sweep_is_scheduled_however_often_asked(settings):
    schedule_sweep()
    schedule_sweep()
    sweep_outbox.call()
    sweeps = DBTaskResult.objects.filter(task_path=sweep_outbox.module_path)
    assert [sweep.status for sweep in sweeps] == ["READY"]
    assert sweeps[0].run_after > timezone.now() + datetime.timedelta(seconds=50)


def test_not_spam_action_releases_the_request_and_notifies(
    admin_client, front_desk, django_capture_on_commit_callbacks
):
    caught = make_appointment_request(spam_reason="too_fast", status="spam", email="")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:appointments_appointmentrequest_changelist"),
            {"action": "mark_not_spam", "_selected_action": [caught.pk]},
        )
    caught.refresh_from_db()
    assert response.status_code == 302
    assert (caught.is_spam, caught.spam_reason, caught.status) == (False, "", "new")
    assert list(caught.notifications.values_list("kind", "recipient", "status")) == [
        ("staff_new_request", "frontdesk@example.com", "pending")
    ]
    assert list(
        DBTaskResult.objects.filter(
            task_path=deliver_notification.module_path
        ).values_list("args_kwargs", flat=True)
    ) == [{"args": [caught.notifications.get().pk], "kwargs": {}}]


def test_release_from_spam_ignores_genuine_requests(front_desk):
    genuine = make_appointment_request()
    release_from_spam(submission=genuine)
    assert list(genuine.notifications.all()) == []


def test_send_again_action_makes_failed_notifications_due_now(admin_client):
    failed = notify(
        make_appointment_request(),
        "staff_new_request",
        "desk@example.com",
        status="failed",
        attempts=12,
        last_error="SMTPConnectError: 421",
        next_attempt_at=timezone.now() - datetime.timedelta(days=1),
    )
    admin_client.post(
        reverse("admin:appointments_notification_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert list(Notification.objects.due()) == [failed]


def test_task_arguments_hold_ids_only(
    client, practice, front_desk, django_capture_on_commit_callbacks
):
    from tests.factories import appointment_request_data

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/appointments/request/",
            appointment_request_data(note="Numb toes", email="jane@example.com"),
        )
    notification_ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert sorted(
        (task.task_path, task.args_kwargs["args"])
        for task in DBTaskResult.objects.all()
    ) == [
        # One task for the submission's two emails, committed with them.
        (deliver_notification.module_path, notification_ids),
    ]


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_outbox_email_says_it_is_automatic(kind, practice, mailoutbox):
    # RFC 3834: vacation responders and other auto-replies do not answer such mail.
    if kind in {"staff_new_message", "message_acknowledgement"}:
        about = {"contact_message": make_contact_message()}
    else:
        visit = make_visit()
        if kind == "visit_series_confirmation":
            visit.series = VisitSeries.objects.create(
                patient=visit.patient, description="Tue at 10:00 AM for 6 weeks"
            )
            visit.save()
        about = {"appointment_request": visit.appointment_request, "visit": visit}
    notification = Notification.objects.create(
        kind=kind, recipient="someone@example.com", **about
    )
    if kind == "waitlist_offer":
        # An offer's email is about the offer: the earlier time it links to.
        WaitlistOffer.objects.create(
            entry=WaitlistEntry.objects.create(
                visit=visit,
                earliest_day=visit.starts_at.date(),
                latest_day=visit.starts_at.date(),
            ),
            practitioner=visit.practitioner,
            starts_at=visit.starts_at - datetime.timedelta(days=1),
            notification=notification,
        )

    tasks.deliver_due()

    [email] = mailoutbox
    assert (email.to, email.message()["Auto-Submitted"]) == (
        ["someone@example.com"],
        "auto-generated",
    )
