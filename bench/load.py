"""Load generators: wrk for pages, a threaded Python client for form submissions.

wrk cannot fetch a fresh one-time token per request, so submissions are driven from Python:
each simulated patient GETs the form (own cookies, own CSRF and submission token), fills it in
and POSTs it, timing the POST. Redirects are not followed, so a 303 is counted as such.
"""

import base64
import binascii
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

# ---- wrk -------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def ensure_wrk():
    if shutil.which("wrk"):
        return
    sudo = [] if os.getuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url, *, seconds, connections=16, threads=2, headers=()):
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for header in headers:
        argv += ["-H", header]
    output = subprocess.run(
        argv + [url], capture_output=True, text=True, check=True
    ).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx_3xx": 0,
        "socket_errors": 0,
    }
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non_2xx_3xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        result["socket_errors"] = sum(int(n) for n in match.groups())
    return result


# ---- HTML forms ------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """Collects the fields of every form with method=post on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and attrs.get("name"):
            self._form["fields"].append(
                {
                    "tag": "input",
                    "type": (attrs.get("type") or "text").lower(),
                    "name": attrs["name"],
                    "value": attrs.get("value") or "",
                    "checked": "checked" in attrs,
                    "required": "required" in attrs,
                }
            )
        elif tag == "select" and attrs.get("name"):
            self._select = {"tag": "select", "name": attrs["name"], "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value") or "")
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = {"tag": "textarea", "name": attrs["name"], "value": ""}
            self._form["fields"].append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_post_form(html, action_contains=""):
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        names = {f["name"] for f in form["fields"]}
        if "csrfmiddlewaretoken" in names and action_contains in form["action"]:
            return form
    return None


# Values for the request form's visible fields, by a fragment of the field's name. Anything not
# matched is left as rendered (hidden fields) or empty (text: the honeypot must stay empty).
TEXT_VALUES = [
    ("email", "patient{n}@bench.invalid"),
    ("phone", "(617) 555-{n4}"),
    ("name", "Bench Patient {n}"),
    ("note", "Bench run submission {n}."),
    ("message", "Bench run question {n}."),
]


def fill_form(form, n):
    data = []
    seen_groups = set()
    for f in form["fields"]:
        name = f["name"]
        if f["tag"] == "select":
            options = [o for o in f["options"] if o]
            if options:
                data.append((name, options[0]))
        elif f["tag"] == "textarea":
            value = _text_value(name, n)
            data.append((name, value or ""))
        elif f["type"] == "hidden":
            data.append((name, f["value"]))
        elif f["type"] in ("checkbox", "radio"):
            # The first choice of every group, plus every single required box (consents).
            if name not in seen_groups:
                seen_groups.add(name)
                data.append((name, f["value"] or "on"))
        elif f["type"] in ("submit", "button", "reset", "image", "file"):
            continue
        else:
            value = _text_value(name, n)
            data.append((name, value if value is not None else f["value"]))
    return data


def _text_value(name, n):
    lowered = name.lower()
    for fragment, template in TEXT_VALUES:
        if fragment in lowered:
            return template.format(n=n, n4=f"{n % 10000:04d}")
    return None


# ---- A patient with a browser-like cookie jar ------------------------------------------------


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Patient:
    def __init__(self, host, port, timeout=10):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = {}
        self.connection = None

    def _connect(self):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
        return self.connection

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection = self._connect()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, dict(response.getheaders()), content

    def get(self, path):
        return self.request("GET", path)

    def post_form(self, path, data):
        body = urllib.parse.urlencode(data)
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


def submission_token(data):
    """The one-time token among the form's hidden values, as the database stores it.

    Either a plain UUID or inside a signed stamp (django.core.signing: base64 JSON, then the
    signature), whose payload is readable without the key: {"token": "<uuid hex>", ...}.
    """
    for name, value in data:
        if name == "csrfmiddlewaretoken" or not value:
            continue
        with contextlib.suppress(ValueError):
            return str(uuid.UUID(value))
        payload = value.split(":", 1)[0]
        with contextlib.suppress(ValueError, binascii.Error, UnicodeDecodeError):
            decoded = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
            if isinstance(decoded, dict) and "token" in decoded:
                return str(uuid.UUID(decoded["token"]))
    return None


@dataclass
class Submission:
    data: list
    status: int | None = None
    latency_ms: float | None = None
    location: str = ""
    body: bytes = b""
    retry_after: str | None = None
    error: str = ""
    started_at: float = 0.0


@dataclass
class SubmissionRun:
    submissions: list = field(default_factory=list)
    form_errors: int = 0
    # (monotonic time, status or None, Retry-After, body shows a traceback) of each form GET
    form_fetches: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, submission):
        with self.lock:
            self.submissions.append(submission)

    def statuses(self):
        counts = {}
        for s in self.submissions:
            key = s.status if s.status is not None else "error"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def latency(self, pct):
        values = sorted(
            s.latency_ms for s in self.submissions if s.latency_ms is not None
        )
        if not values:
            return None
        if pct == 50:
            return statistics.median(values)
        return values[min(len(values) - 1, int(len(values) * pct / 100))]


class SubmissionLoad:
    """`clients` patients submitting the form over and over for `seconds`.

    Each patient is a thread with its own cookie jar, and every POST carries its own one-time
    token. By default a patient fetches the form, waits `fill_seconds` (the form's minimum time
    to fill it in) and posts it. `pipelined`: each patient keeps fetching forms without pause and
    posts each one `fill_seconds` after fetching it, so a GET or a POST is always in flight (a
    stress test, no think time). `prefetch`: the forms are fetched first and only POSTs run
    during the timed window (pure POST throughput, comparable with wrk's figures for pages).
    """

    def __init__(
        self,
        host,
        port,
        form_path,
        *,
        clients,
        seconds,
        fill_seconds=0.0,
        prefetch=0,
        pipelined=False,
    ):
        self.host, self.port, self.form_path = host, port, form_path
        # A list of paths: each fetch takes the next one (the hold run's distinct open times).
        self._paths = (
            collections.deque(form_path) if isinstance(form_path, list) else None
        )
        self.clients, self.seconds, self.fill_seconds = clients, seconds, fill_seconds
        self.prefetch = prefetch
        self.pipelined = pipelined
        self.run = SubmissionRun()
        self._counter = 0
        self._counter_lock = threading.Lock()
        self.started = 0.0
        self.elapsed = 0.0

    def _next(self):
        with self._counter_lock:
            self._counter += 1
            return self._counter

    def _fetch(self, patient):
        """(fetched at, action, data) of a freshly rendered form, or None."""
        path = self.form_path
        if self._paths is not None:
            with self._counter_lock:
                if not self._paths:
                    time.sleep(0.2)
                    return None
                path = self._paths.popleft()
        try:
            status, headers, content = patient.get(path)
        except (OSError, http.client.HTTPException):
            with self.run.lock:
                self.run.form_fetches.append((time.monotonic(), None, None, False))
            time.sleep(0.2)
            return None
        with self.run.lock:
            self.run.form_fetches.append(
                (
                    time.monotonic(),
                    status,
                    headers.get("Retry-After"),
                    b"Traceback" in content,
                )
            )
        form = (
            parse_post_form(content.decode("utf-8", "replace"))
            if status == 200
            else None
        )
        if form is None:
            with self.run.lock:
                self.run.form_errors += 1
            time.sleep(0.2)
            return None
        return (
            time.monotonic(),
            form["action"] or path,
            fill_form(form, self._next()),
        )

    def _submit(self, patient, action, data):
        submission = Submission(data=data, started_at=time.monotonic())
        self.post(patient, action, submission)
        self.run.add(submission)

    def _patient_loop(self, patient, queue, ready, stop_at):
        ready.wait()
        while time.monotonic() < stop_at[0]:
            if self.prefetch:
                if not queue:
                    break
            elif not self.pipelined:
                # A patient: fetch the form, take the minimum time to fill it in, send it.
                if (form := self._fetch(patient)) is not None:
                    time.sleep(self.fill_seconds)
                    if time.monotonic() < stop_at[0]:
                        self._submit(patient, form[1], form[2])
                continue
            elif (form := self._fetch(patient)) is not None:
                queue.append(form)
            if queue and time.monotonic() - queue[0][0] >= self.fill_seconds:
                _fetched, action, data = queue.popleft()
                self._submit(patient, action, data)
            elif self.prefetch:
                time.sleep(0.05)
        patient.close()

    def _prefetch(self, patient, queue):
        deadline = time.monotonic() + 180
        while len(queue) < self.prefetch and time.monotonic() < deadline:
            if (form := self._fetch(patient)) is not None:
                queue.append(form)
            elif self.run.form_errors > 50:
                break

    @staticmethod
    def post(patient, action, submission):
        started = time.monotonic()
        try:
            status, headers, content = patient.post_form(action, submission.data)
        except (OSError, http.client.HTTPException) as error:
            submission.error = type(error).__name__
            submission.latency_ms = (time.monotonic() - started) * 1000
            return
        submission.latency_ms = (time.monotonic() - started) * 1000
        submission.status = status
        submission.location = headers.get("Location", "")
        submission.retry_after = headers.get("Retry-After")
        submission.body = content

    def start(self):
        queues = [collections.deque() for _ in range(self.clients)]
        # One cookie jar per patient: the forms it fetched are posted with its CSRF cookie.
        patients = [Patient(self.host, self.port) for _ in range(self.clients)]
        if self.prefetch:
            fetchers = [
                threading.Thread(target=self._prefetch, args=(p, q), daemon=True)
                for p, q in zip(patients, queues, strict=True)
            ]
            for thread in fetchers:
                thread.start()
            for thread in fetchers:
                thread.join()
            time.sleep(self.fill_seconds)
        ready = threading.Event()
        self._stop_at = [0.0]
        self.threads = [
            threading.Thread(
                target=self._patient_loop,
                args=(p, q, ready, self._stop_at),
                daemon=True,
            )
            for p, q in zip(patients, queues, strict=True)
        ]
        for thread in self.threads:
            thread.start()
        self.started = time.monotonic()
        self._stop_at[0] = self.started + self.seconds
        ready.set()
        return self

    def join(self):
        for thread in self.threads:
            thread.join(self.seconds + 60)
        self.elapsed = time.monotonic() - self.started
        return self.run
