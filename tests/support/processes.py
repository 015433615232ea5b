"""Real processes for the tests and the bench: gunicorn, the task worker, an SMTP sink, Redis.

Each runs as a child process with its output appended to a log file, and stops on `stop()` or
at the end of a `with` block. gunicorn always runs with the project's gunicorn.conf.py, as the
Dockerfile and compose run it; only the address and the number of workers come from the command
line, everything else from the environment the shipped config reads.

`process_env()` is the environment for a child of a test run (its test database and cache keys);
the bench builds its own (bench/stack.py). `FormClient` talks to these servers like a browser.
"""

import contextlib
import http.cookiejar
import mailbox
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.support.forms import hidden_fields

REPO = Path(__file__).resolve().parent.parent.parent
GUNICORN_CONF = REPO / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def wait_for(condition, *, timeout: float = 30, interval: float = 0.2, what=""):
    """Poll `condition` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what or condition}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_status(url: str, timeout: float = 2) -> int | None:
    """The status a GET of `url` answers (redirects and errors included), None if none."""
    try:
        with urllib.request.build_opener(_NoRedirects).open(
            url, timeout=timeout
        ) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Process:
    """A child process whose output is appended to `log`.

    `own_session`: the child leads a process group of its own, and signals go to the whole
    group (gunicorn's workers too). The bench uses it so that a killed run's processes can be
    found and stopped by the next run; tests leave it off, so Ctrl-C reaches the children.
    """

    def __init__(
        self, argv=(), *, env=None, log=os.devnull, cwd=REPO, own_session=False
    ):
        self.argv = list(argv)
        self.env = env
        self.log = Path(log)
        self.cwd = cwd
        self.own_session = own_session
        self.popen = None

    def command(self) -> list:
        return self.argv

    @property
    def pid(self) -> int:
        return self.popen.pid

    def start(self):
        """Start the process and return once it is ready (see `wait_until_ready`)."""
        self.launch()
        self.wait_until_ready()
        return self

    def launch(self):
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.command(),
                cwd=self.cwd,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_session,
            )

    def wait_until_ready(self):
        """Return once the process serves; subclasses say what that means."""

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout=None):
        return self.popen.wait(timeout)

    def send(self, sig):
        with contextlib.suppress(ProcessLookupError):
            if self.own_session:
                os.killpg(self.popen.pid, sig)
            else:
                self.popen.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout: float = 15):
        """Send `sig` and wait for the exit; SIGKILL if it takes longer than `timeout`."""
        if not self.is_running():
            return
        self.send(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            self.popen.wait()

    def log_tail(self, chars: int = 3000) -> str:
        if self.log == Path(os.devnull):
            return "(no log)"
        return self.log.read_text(errors="replace")[-chars:]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _wait_until(self, condition, *, timeout, what):
        """Wait for `condition`, failing at once with the log if the process has exited."""

        def ready():
            if not self.is_running():
                raise AssertionError(f"{what} exited:\n{self.log_tail()}")
            return condition()

        try:
            wait_for(ready, timeout=timeout, interval=0.1, what=what)
        except AssertionError:
            self.stop()
            raise


class Gunicorn(Process):
    """`app` under gunicorn with gunicorn.conf.py, on 127.0.0.1:`port` (a free one by default).

    Ready once `ready_path` answers at all: a 503 from the health check counts, as
    the outage tests start a server whose database is down. `options` are further gunicorn
    command-line settings; the tests pass none.
    """

    def __init__(
        self,
        *,
        env,
        log=os.devnull,
        port=None,
        workers=1,
        app="clinic.wsgi",
        ready_path="/healthz",
        options=(),
        **kwargs,
    ):
        super().__init__(env=env, log=log, **kwargs)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.app = app
        self.ready_path = ready_path
        self.options = list(options)

    def command(self):
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(GUNICORN_CONF),
            # The shipped config binds 0.0.0.0:$PORT; children of ours listen on loopback only.
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            *self.options,
            self.app,
        ]

    def wait_until_ready(self):
        self._wait_until(
            lambda: http_status(self.url + self.ready_path) is not None,
            timeout=60,
            what=f"gunicorn on port {self.port}",
        )

    def worker_pids(self) -> list[int]:
        """The pids of the gunicorn workers (the master's children)."""
        result = subprocess.run(
            ["pgrep", "-P", str(self.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in result.stdout.split()]


class Worker(Process):
    """The task worker, `manage.py db_worker` with `options`."""

    def __init__(self, *, env, log=os.devnull, options=(), **kwargs):
        super().__init__(env=env, log=log, **kwargs)
        self.options = list(options)

    def command(self):
        return [sys.executable, "manage.py", "db_worker", *self.options]


class SmtpSink(Process):
    """A real SMTP server (tests/support/smtp_sink.py) that stores every message in `maildir`.

    It can be stopped and started again on the same port and Maildir. `delay` seconds per
    message keeps a delivery in flight (the bench kills a worker in the middle of one).
    """

    def __init__(self, maildir, *, port=None, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.maildir = Path(maildir)
        self.port = port or free_port()
        self.delay = delay

    def command(self):
        return [
            sys.executable,
            "-m",
            "tests.support.smtp_sink",
            str(self.port),
            str(self.maildir),
            str(self.delay),
        ]

    def wait_until_ready(self):
        self._wait_until(
            lambda: port_is_open(self.port), timeout=15, what="the SMTP sink"
        )

    def messages(self) -> list:
        """Every message received (email.message.Message; X-RcptTo holds the recipients)."""
        return list(mailbox.Maildir(self.maildir).values())

    def clear(self):
        mailbox.Maildir(self.maildir).clear()


class RedisServer(Process):
    """A private redis-server on a free loopback port, with `options` (e.g. a memory cap).

    No persistence; `cache_settings()` is a CACHES entry for the site's fail-open backend on it.
    """

    def __init__(self, directory, *, options=(), port=None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(directory)
        self.port = port or free_port()
        self.options = list(options)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def command(self):
        return [
            "redis-server",
            *self.options,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.directory),
        ]

    def launch(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        super().launch()

    def wait_until_ready(self):
        self._wait_until(
            lambda: port_is_open(self.port), timeout=15, what="redis-server"
        )

    def cache_settings(self, **overrides) -> dict:
        return {
            "BACKEND": "clinic.pagecache.backend.FailOpenRedisCache",
            "LOCATION": self.url,
            "KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            **overrides,
        }


def process_env(**overrides) -> dict:
    """The environment of a child process: this test run's database and cache key space.

    Production defaults otherwise (DEBUG off), on plain http over loopback.
    """
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DATABASE_URL": f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        # The full prefix, worker suffix included: the child must not append it again.
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
    # The browser tests allow async-unsafe ORM calls in the test process only.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class GunicornServer(str):
    """The base URL of a gunicorn running the site; `.log` is the path of its output."""

    log = None


@contextlib.contextmanager
def gunicorn_server(log_path, workers=1, **env_overrides):
    """The site under gunicorn for a test, with these environment changes: its base URL."""
    with Gunicorn(
        env=process_env(**env_overrides), log=log_path, workers=workers
    ) as process:
        server = GunicornServer(process.url)
        server.log = Path(log_path)
        yield server


class FormClient:
    """A minimal HTTP client with its own cookies, for talking to the real server processes.

    Redirects are not followed, so a test sees the 303 itself.
    """

    def __init__(self, cookies=None):
        self.cookies = cookies or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def request(self, url, data=None):
        """GET `url`, or POST `data` to it: (status, headers, body)."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            response = self.opener.open(url, body, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return response.status, dict(response.headers), response.read().decode()

    def copy(self):
        """Another client holding the same cookies, from now on its own."""
        cookies = http.cookiejar.CookieJar()
        for cookie in self.cookies:
            cookies.set_cookie(cookie)
        return FormClient(cookies)

    def open_form(self, url):
        """GET the form; return the hidden fields a real browser would post back."""
        status, _, body = self.request(url)
        assert status == 200, body[:500]
        return hidden_fields(body)
