import datetime
import email
import os
import socket
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from appointments.workflow import queue_visit_reminders
from tests.factories import make_visit

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def run_worker(port):
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_worker_sends_one_reminder_even_when_the_job_was_queued_twice(
    practice, smtp_sink
):
    inbox, port = smtp_sink
    now = timezone.now()
    visit = make_visit(
        starts_at=now + datetime.timedelta(hours=20),
        created_at=now - datetime.timedelta(days=4),
    )
    queue_visit_reminders.enqueue()
    queue_visit_reminders.enqueue()

    first = run_worker(port)
    second = run_worker(port)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr[-2000:]
    assert [(m["To"], m["Subject"]) for m in inbox.messages] == [
        (
            "jane@example.com",
            f"Reminder of your visit ({visit.appointment_request.reference})",
        )
    ]
