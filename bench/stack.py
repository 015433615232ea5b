"""The production stack on loopback, owned by one bench run and torn down at its end.

Everything runs privately: a throwaway PostgreSQL cluster (initdb into a temporary directory),
a Redis server, gunicorn, the task worker and an SMTP sink, each on its own port. Nothing shared
on the machine (the system PostgreSQL and Redis, other people's databases) is touched, so the
fault runs can stop and kill these processes freely.

gunicorn, the worker and the SMTP sink are the tests' own (tests/support/processes.py); what is
here is the bench's: the private PostgreSQL and Redis, the ports, and a process group per child
with a pid file, so that a run killed before it could clean up is cleaned up by the next one.
"""

import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support.processes import (
    Gunicorn,
    Process,
    SmtpSink,
    Worker,
    http_status,
    port_is_open,
    wait_for,
)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
MAILDIR = OUT / "maildir"
PYTHON = sys.executable

PG_PORT = int(os.environ.get("BENCH_PG_PORT", 5439))
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", 6389))
SITE_PORT = int(os.environ.get("BENCH_SITE_PORT", 8089))
FLOOR_PORT = int(os.environ.get("BENCH_FLOOR_PORT", 8090))
FLOOR_MIDDLEWARE_PORT = int(os.environ.get("BENCH_FLOOR_MIDDLEWARE_PORT", 8091))
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", 2526))
WAGTAIL_PORT = int(os.environ.get("BENCH_WAGTAIL_PORT", 8092))
# The comparison target's own virtualenv (bench/wagtail_site): made once, kept in bench/out.
WAGTAIL_VENV = Path(os.environ.get("BENCH_WAGTAIL_VENV", OUT / "wagtail-venv"))
WAGTAIL_REQUIREMENTS = ["wagtail==8.0.1", "gunicorn==27.0.1", "psycopg2-binary==2.9.13"]
WAGTAIL_DB = "wagtail_bench"
DB_NAME = "clinic_bench"
GUNICORN_WORKERS = 4
# What the processes the stack starts have in their command lines (see clean_up_after_a_killed_run).
OUR_PROCESSES = (b"redis-server", str(REPO).encode(), b"bench.", b"tests.support.")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def site_env(**overrides):
    """The environment the site's processes get: production defaults plus loopback values.

    SECURE_HTTPS=false because the bench talks plain http over loopback (no TLS terminator);
    in production it stays true. Everything else is the production default (DEBUG off).
    """
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.site_settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}",
            "CACHE_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "CACHE_KEY_PREFIX": "bench",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_HTTPS": "false",
            "SITE_URL": f"http://127.0.0.1:{SITE_PORT}",
            "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "EMAIL_TIMEOUT": "5",
            "FRONT_DESK_EMAIL": "frontdesk@bench.invalid",
            "DEFAULT_FROM_EMAIL": "website@bench.invalid",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def postgres_bindir():
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries (pg_ctl, initdb) are not installed"
        )
    return Path(candidates[-1]).parent


class Stack:
    """Starts processes on demand and stops all of them on exit (also on Ctrl-C)."""

    def __init__(self, **env):
        OUT.mkdir(parents=True, exist_ok=True)
        self.env = site_env(**env)
        self.processes = {}
        self.worker_wanted = False
        self.worker_restarts = 0
        self.pg_dir = None
        self.bindir = postgres_bindir()
        self.as_postgres = (
            ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        )
        # One Maildir for the whole run, across the sink's restarts.
        self.mail = SmtpSink(MAILDIR, port=SMTP_PORT, **self.options("smtp"))

    def __enter__(self):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        self.clean_up_after_a_killed_run()
        shutil.rmtree(MAILDIR, ignore_errors=True)
        return self

    def clean_up_after_a_killed_run(self):
        """Stop what an earlier run left behind if it was killed before it could clean up."""
        for pidfile in OUT.glob(f"*.{PG_PORT}.pid"):
            with contextlib.suppress(ValueError, OSError):
                pid = int(pidfile.read_text())
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                # The pid may have been reused since: kill only what looks like ours.
                if any(mark in cmdline for mark in OUR_PROCESSES):
                    os.killpg(pid, signal.SIGKILL)
            pidfile.unlink(missing_ok=True)
        for pidfile in glob.glob(
            f"{tempfile.gettempdir()}/clinic-bench-pg-*/postmaster.pid"
        ):
            lines = Path(pidfile).read_text().splitlines()
            if len(lines) > 3 and lines[3].strip() == str(PG_PORT):
                self.pg_dir = str(Path(pidfile).parent)
                self.pg_ctl("stop", "-m", "immediate", check=False)
                shutil.rmtree(self.pg_dir, ignore_errors=True)
                self.pg_dir = None

    def __exit__(self, *exc):
        self.worker_wanted = False
        for name in list(self.processes):
            self.stop(name)
        if self.pg_dir:
            self.pg_ctl("stop", "-m", "immediate", check=False)
            shutil.rmtree(self.pg_dir, ignore_errors=True)

    # Processes -----------------------------------------------------------------------------

    def run(self, name, process):
        """Start `process` (built with `self.options(name)`) and wait until it is ready.

        The pid file is written before the wait, so a run killed while a process starts
        still leaves the next run a way to find it.
        """
        process.launch()
        self.processes[name] = process
        (OUT / f"{name}.{PG_PORT}.pid").write_text(str(process.pid))
        process.wait_until_ready()
        return process

    def options(self, name, env=None):
        """How every child of the stack runs: its own process group, its log in bench/out."""
        return {"env": env or self.env, "log": OUT / f"{name}.log", "own_session": True}

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        (OUT / f"{name}.{PG_PORT}.pid").unlink(missing_ok=True)
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop(sig, timeout)

    def manage(self, *args, env=None, check=True):
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            env=env or self.env,
            cwd=REPO,
            check=check,
            capture_output=True,
            text=True,
        )

    # PostgreSQL: a private cluster --------------------------------------------------------

    def pg_ctl(self, *args, check=True):
        return subprocess.run(
            [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", self.pg_dir, *args],
            check=check,
            capture_output=True,
            text=True,
        )

    def start_postgres(self):
        if port_is_open(PG_PORT):
            raise RuntimeError(
                f"Port {PG_PORT} is taken; set BENCH_PG_PORT to a free port"
            )
        self.pg_dir = tempfile.mkdtemp(prefix="clinic-bench-pg-")
        if self.as_postgres:
            shutil.chown(self.pg_dir, "postgres", "postgres")
        subprocess.run(
            [
                *self.as_postgres,
                str(self.bindir / "initdb"),
                "-D",
                self.pg_dir,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        with open(Path(self.pg_dir) / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {PG_PORT}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.pg_dir}'\n"
                "shared_buffers = 256MB\nmax_connections = 200\n"
            )
        self.start_postgres_server()
        subprocess.run(
            [
                str(self.bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(PG_PORT),
                "-U",
                "postgres",
                DB_NAME,
            ],
            check=True,
        )
        log(f"PostgreSQL: private cluster on 127.0.0.1:{PG_PORT} ({self.pg_dir})")

    def start_postgres_server(self):
        self.pg_ctl("start", "-w", "-l", str(Path(self.pg_dir) / "server.log"))

    def stop_postgres_server(self):
        self.pg_ctl("stop", "-m", "fast", "-w")

    def psql(self, sql):
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(PG_PORT),
                "-U",
                "postgres",
                "-d",
                DB_NAME,
                "-AtXq",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    def requests_for_tokens(self, tokens):
        """{token: number of stored appointment requests} for the given submission tokens."""
        if not tokens:
            return {}
        values = ",".join(f"'{token}'" for token in set(tokens))
        output = self.psql(
            "SELECT submission_token, count(*) FROM appointments_appointmentrequest "
            f"WHERE submission_token IN ({values}) GROUP BY submission_token"
        )
        stored = dict.fromkeys(tokens, 0)
        for line in output.splitlines():
            token, count = line.split("|")
            stored[token] = int(count)
        return stored

    def spam_for_tokens(self, tokens):
        """How many of these submissions the spam checks caught (they too answer 303)."""
        if not tokens:
            return 0
        values = ",".join(f"'{token}'" for token in set(tokens))
        return int(
            self.psql(
                "SELECT count(*) FROM appointments_appointmentrequest "
                f"WHERE status = 'spam' AND submission_token IN ({values})"
            )
        )

    def duplicate_tokens(self):
        return int(
            self.psql(
                "SELECT count(*) FROM (SELECT submission_token FROM appointments_appointmentrequest "
                "GROUP BY submission_token HAVING count(*) > 1) d"
            )
        )

    def wait_for_outbox(self, timeout=300):
        """Seconds until the worker has sent every email queued so far (None: not in `timeout`).

        After a submission run the worker goes on delivering its emails for a while; a floor
        measured meanwhile shares the cores with it and reads low, which would flatter the
        next ratio. The bench measures nothing until the outbox is empty.
        """
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            waiting = int(
                self.psql(
                    "SELECT count(*) FROM appointments_notification "
                    "WHERE status IN ('pending', 'sending')"
                )
            )
            if not waiting:
                return time.monotonic() - started
            time.sleep(0.5)
        return None

    # Redis ---------------------------------------------------------------------------------

    def start_redis(self):
        if port_is_open(REDIS_PORT):
            raise RuntimeError(f"Port {REDIS_PORT} is taken; set BENCH_REDIS_PORT")
        self.run(
            "redis",
            Process(
                [
                    "redis-server",
                    "--port",
                    str(REDIS_PORT),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                **self.options("redis"),
            ),
        )
        wait_for(lambda: port_is_open(REDIS_PORT), timeout=10, what="Redis")

    def stop_redis(self):
        self.stop("redis")

    # The site --------------------------------------------------------------------------------

    def gunicorn(self, name, port, env=None, ready_path="/healthz"):
        """gunicorn with the shipped gunicorn.conf.py as it is: only the address and the number
        of workers come from the command line (tests/support/processes.py)."""
        return Gunicorn(
            port=port,
            ready_path=ready_path,
            workers=GUNICORN_WORKERS,
            app="clinic.wsgi:application",
            **self.options(name, env),
        )

    def start_site(self):
        self.run("site", self.gunicorn("site", SITE_PORT))
        wait_for(
            lambda: http_status(f"{site_url()}/healthz") == 200,
            timeout=60,
            what="the site's health check",
        )

    def restart_site_if_dead(self):
        if not self.processes["site"].is_running():
            self.start_site()

    def start_floor(self, settings="bench.floor", port=FLOOR_PORT):
        """The floor view under gunicorn, with clinic.wsgi and another settings module."""
        name = settings.rsplit(".", 1)[-1]
        env = {**self.env, "DJANGO_SETTINGS_MODULE": settings}
        # The floor has one URL, "/": a request for any other would only log an error.
        self.run(name, self.gunicorn(name, port, env, ready_path="/"))

    def start_wagtail(self):
        """The comparison target (bench/wagtail_site) in its own virtualenv: its article's path.

        None, with the reason logged, where it cannot run (no network for pip, say): the
        benchmark then reports the pages against the floor only.
        """
        python = WAGTAIL_VENV / "bin" / "python"
        env = {
            **self.env,
            "DJANGO_SETTINGS_MODULE": "bench.wagtail_site.settings",
            "BENCH_PG_PORT": str(PG_PORT),
            "BENCH_WAGTAIL_DB": WAGTAIL_DB,
        }
        try:
            if not (WAGTAIL_VENV / ".installed").exists():
                log(f"Wagtail: making its virtualenv in {WAGTAIL_VENV} (once)")
                subprocess.run([PYTHON, "-m", "venv", str(WAGTAIL_VENV)], check=True)
                subprocess.run(
                    [str(python), "-m", "pip", "install", "--quiet"]
                    + ["--disable-pip-version-check", *WAGTAIL_REQUIREMENTS],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                (WAGTAIL_VENV / ".installed").touch()
            subprocess.run(
                [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT)]
                + ["-U", "postgres", WAGTAIL_DB],
                check=True,
                capture_output=True,
            )
            for argv in (
                ["-m", "django", "migrate", "--noinput"],
                ["-m", "bench.wagtail_site.setup"],
            ):
                done = subprocess.run(
                    [str(python), *argv],
                    env=env,
                    cwd=REPO,
                    check=True,
                    capture_output=True,
                    text=True,
                )
            path = done.stdout.strip().splitlines()[-1]
            self.run(
                "wagtail",
                OtherPythonGunicorn(
                    python,
                    port=WAGTAIL_PORT,
                    ready_path=path,
                    workers=GUNICORN_WORKERS,
                    app="bench.wagtail_site.wsgi:application",
                    **self.options("wagtail", env),
                ),
            )
        except (OSError, subprocess.CalledProcessError, AssertionError) as error:
            detail = getattr(error, "stderr", "") or ""
            log(f"Wagtail: not available ({error}) {str(detail)[-1500:]}")
            return None
        return path

    def gunicorn_workers(self, name="site"):
        return self.processes[name].worker_pids()

    def start_worker(self):
        """The task worker under a supervisor that restarts it when it exits, as compose's
        restart policy or systemd would (db_worker exits when the database goes away)."""
        self.worker_wanted = True

        def supervise():
            while self.worker_wanted:
                self.run("worker", Worker(**self.options("worker"))).wait()
                if self.worker_wanted:
                    self.worker_restarts += 1
                    time.sleep(1)

        self.supervisor = threading.Thread(target=supervise, daemon=True)
        self.supervisor.start()

    def kill_worker(self):
        """SIGKILL, as a crash would; the supervisor does not restart it (start_worker does)."""
        self.worker_wanted = False
        self.stop("worker", sig=signal.SIGKILL)
        self.supervisor.join(10)

    def start_smtp(self, delay=0.0):
        """The SMTP sink, `delay` seconds per message; what it received is in `self.mail`."""
        self.mail.delay = delay
        self.run("smtp", self.mail)

    def stop_smtp(self):
        self.stop("smtp")
        wait_for(
            lambda: not port_is_open(SMTP_PORT),
            timeout=10,
            what="the SMTP sink to stop",
        )


class OtherPythonGunicorn(Gunicorn):
    """The same gunicorn command (and gunicorn.conf.py) run by another virtualenv's Python."""

    def __init__(self, python, **kwargs):
        super().__init__(**kwargs)
        self.python = str(python)

    def command(self):
        return [self.python, *super().command()[1:]]


def worker_rss_mb(pids):
    """Resident memory of each of these processes, in MB (None for one that is gone)."""
    sizes = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            sizes.append(None)
            continue
        kilobytes = next(
            int(line.split()[1])
            for line in status.splitlines()
            if line.startswith("VmRSS:")
        )
        sizes.append(round(kilobytes / 1024, 1))
    return sizes


def probe(*args):
    """Run a bench/probe.py command against the stack's database, as staff would: its JSON."""
    result = subprocess.run(
        [PYTHON, "-m", "bench.probe", *args],
        env=site_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        log(f"probe {args[0]} failed:\n{result.stderr[-3000:]}")
        return None
    return json.loads(result.stdout)


def site_url():
    return f"http://127.0.0.1:{SITE_PORT}"


def floor_url():
    return f"http://127.0.0.1:{FLOOR_PORT}"
