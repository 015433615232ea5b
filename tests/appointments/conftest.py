"""Fixtures for the requests app, including real processes: an SMTP sink, the worker, gunicorn.

The processes talk to the test database, so tests using them need
`pytest.mark.django_db(transaction=True)` (their data must be committed to be seen).
"""

import http.cookiejar
import mailbox
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def front_desk(settings):
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    return settings.FRONT_DESK_EMAIL


def form_stamp_in(response) -> str:
    return re.search(
        r'name="form_stamp" value="([^"]+)"', response.content.decode()
    ).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float = 30, interval: float = 0.2, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what or condition}")


def process_env(**overrides) -> dict:
    """The environment of a child process: this test run's database and cache key space."""
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "PYTEST_XDIST_WORKER": "",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "SECURE_HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        "FRONT_DESK_EMAIL": "frontdesk@example.com",
        "LOG_LEVEL": "WARNING",
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class SmtpSink:
    """A real SMTP server (aiosmtpd) in its own process, storing mail in a maildir."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._accepts, timeout=15, what="the SMTP sink")

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def messages(self):
        return list(mailbox.Maildir(self.directory).values())

    def clear(self):
        mailbox.Maildir(self.directory).clear()


# Module scope, not session: a worker left running would deliver other modules' committed
# notifications behind their backs, and servers would hold connections to the test database.
@pytest.fixture(scope="module")
def smtp_sink():
    with tempfile.TemporaryDirectory(prefix="smtp-sink-") as directory:
        sink = SmtpSink(Path(directory) / "maildir")
        sink.start()
        yield sink
        sink.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp_sink, tmp_path_factory):
    """`manage.py db_worker` as a real process, mailing the SMTP sink, with short retry times."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        env = process_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
            EMAIL_TIMEOUT=5,
            OUTBOX_RETRY_BASE_SECONDS=1,
            OUTBOX_SWEEP_SECONDS=1,
            OUTBOX_LEASE_SECONDS=5,
            LOG_LEVEL="INFO",
        )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        process.log = log
        yield process
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


class AppServer:
    """gunicorn serving the site against the test database."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "clinic.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
        )
        wait_for(self._ready, timeout=60, what=f"gunicorn on {self.port}")

    def _ready(self):
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                return True
        except (OSError, urllib.error.URLError):
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def app_servers(django_db_setup, django_db_blocker):
    """Two app servers (separate gunicorn masters) sharing the database and Redis."""
    with django_db_blocker.unblock():
        env = process_env(REQUEST_MIN_FILL_SECONDS=0, EMAIL_URL="consolemail://")
    servers = [AppServer(env), AppServer(env)]
    yield servers
    for server in servers:
        server.stop()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A minimal HTTP client with its own cookies, for talking to the real server processes."""

    def __init__(self, cookies=None):
        self.cookies = cookies or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects
        )

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            response = self.opener.open(url, body, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return response.status, dict(response.headers), response.read().decode()

    def copy(self):
        cookies = http.cookiejar.CookieJar()
        for cookie in self.cookies:
            cookies.set_cookie(cookie)
        return Browser(cookies)

    def open_form(self, url):
        """GET the form; return the hidden fields a real browser would post back."""
        status, _, body = self.request(url)
        assert status == 200, body[:500]
        return {
            "csrfmiddlewaretoken": re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"', body
            ).group(1),
            "form_stamp": re.search(r'name="form_stamp" value="([^"]+)"', body).group(
                1
            ),
        }
