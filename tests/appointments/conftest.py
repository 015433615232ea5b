"""Fixtures for the requests app, including real processes: an SMTP sink, the worker, gunicorn.

The processes talk to the test database, so tests using them need
`pytest.mark.django_db(transaction=True)` (their data must be committed to be seen).
"""

import tempfile
from pathlib import Path

import pytest

from tests.support.processes import Gunicorn, SmtpSink, Worker, process_env


@pytest.fixture
def front_desk(settings):
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    return settings.FRONT_DESK_EMAIL


# Module scope, not session: a worker left running would deliver other modules' committed
# notifications behind their backs, and servers would hold connections to the test database.
@pytest.fixture(scope="module")
def smtp_sink():
    with (
        tempfile.TemporaryDirectory(prefix="smtp-sink-") as directory,
        SmtpSink(Path(directory) / "maildir") as sink,
    ):
        yield sink


@pytest.fixture
def worker(django_db_setup, django_db_blocker, smtp_sink, tmp_path_factory):
    """`manage.py db_worker` as a real process, mailing the SMTP sink, with short retry times.

    One per test, stopped before the test's tables are flushed: a task the worker was running
    during the flush would lose its result row, and db_worker exits when it cannot save a result
    (in production its supervisor restarts it), leaving the next test without a worker.
    SIGTERM lets it finish the task it is running first.
    """
    with django_db_blocker.unblock():
        env = process_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
            EMAIL_TIMEOUT=5,
            OUTBOX_RETRY_BASE_SECONDS=1,
            OUTBOX_SWEEP_SECONDS=1,
            OUTBOX_LEASE_SECONDS=5,
            LOG_LEVEL="INFO",
        )
    with Worker(
        env=env,
        log=tmp_path_factory.mktemp("worker") / "worker.log",
        options=["--interval", "0.2", "--no-startup-delay"],
    ) as process:
        yield process


@pytest.fixture(scope="module")
def app_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two app servers (separate gunicorn masters, two workers each) sharing the database and
    Redis, as two machines behind a load balancer would."""
    with django_db_blocker.unblock():
        env = process_env(REQUEST_MIN_FILL_SECONDS=0, EMAIL_URL="consolemail://")
    logs = tmp_path_factory.mktemp("app-servers")
    with (
        Gunicorn(env=env, workers=2, log=logs / "first.log") as first,
        Gunicorn(env=env, workers=2, log=logs / "second.log") as second,
    ):
        yield [first, second]
