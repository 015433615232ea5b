"""The fault suite: break one part of the production stack at a time, under load, and check that
nothing a patient sent is lost or duplicated; last, lose the database's disk and restore it from
the backup. Run with `make faults` (about five minutes).

Everything runs on loopback against the bench's private PostgreSQL cluster, Redis and SMTP sink
(see bench/stack.py), so stopping and killing them disturbs nothing else on the machine. The
outbox's timings are shortened for the run (lease 20 s, retry base 2 s, sweep 3 s) so recovery
is observable in seconds; the mechanisms are the production ones.

The faults are FAULTS at the end of this module, run in order; bench/README.md says how to add
one.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg2

from bench import load, report
from bench.report import Target
from bench.stack import (
    DB_NAME,
    OUT,
    PG_PORT,
    REDIS_PORT,
    SITE_PORT,
    SMTP_PORT,
    Stack,
    log,
    probe,
)

FORM_PATH = "/appointments/request/"
FILL_SECONDS = float(os.environ.get("BENCH_FILL_SECONDS", 3))
FAULT_ENV = {
    "OUTBOX_LEASE_SECONDS": "20",
    "OUTBOX_RETRY_BASE_SECONDS": "2",
    "OUTBOX_SWEEP_SECONDS": "3",
    "EMAIL_TIMEOUT": "5",
}
REFERENCE_RE = re.compile(r"KEN-[0-9A-Z]{5}")


class Poller:
    """GETs some paths every 100 ms and records what a visitor would have seen."""

    def __init__(self, paths):
        self.paths = paths
        self.records = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            for path in self.paths:
                patient = load.Patient("127.0.0.1", SITE_PORT, timeout=5)
                try:
                    status, headers, body = patient.get(path)
                    record = (
                        time.monotonic(),
                        path,
                        status,
                        headers.get("Retry-After"),
                        body,
                    )
                except OSError as error:
                    record = (
                        time.monotonic(),
                        path,
                        None,
                        None,
                        type(error).__name__.encode(),
                    )
                patient.close()
                self.records.append(record)
            time.sleep(0.1)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(10)


def page_title(body):
    match = re.search(rb"<title>(.*?)</title>", body or b"", re.S)
    return (
        match.group(1).decode("utf-8", "replace").strip()
        if match
        else (body or b"")[:80]
    )


def bad_responses(statuses_with_details):
    """500s, 503s without Retry-After, and bodies showing a traceback."""
    bad = []
    for status, retry_after, traceback in statuses_with_details:
        if status is not None and status >= 500 and status != 503:
            bad.append(f"{status}")
        elif status == 503 and not retry_after:
            bad.append("503 without Retry-After")
        if traceback:
            bad.append(f"{status} with a traceback")
    return bad


def submit(clients, seconds):
    return (
        load.SubmissionLoad(
            "127.0.0.1",
            SITE_PORT,
            FORM_PATH,
            clients=clients,
            seconds=seconds,
            fill_seconds=FILL_SECONDS,
        )
        .start()
        .join()
    )


def tokens_of(run, status=303):
    return [
        load.submission_token(s.data) for s in run.submissions if s.status == status
    ]


def notifications(stack, tokens):
    """[(reference, kind, recipient, status)] of the notifications of these requests."""
    if not tokens:
        return []
    values = ",".join(f"'{t}'" for t in tokens)
    output = stack.psql(
        "SELECT r.reference, n.kind, n.recipient, n.status FROM appointments_notification n "
        "JOIN appointments_appointmentrequest r ON r.id = n.appointment_request_id "
        f"WHERE r.submission_token IN ({values})"
    )
    return [tuple(line.split("|")) for line in output.splitlines()]


def mail_text(message):
    """The subject and every decoded part of a received mail."""
    parts = [message["Subject"] or ""]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        parts.append((payload or b"").decode("utf-8", "replace"))
    return "\n".join(parts)


def deliveries(stack, references):
    """{(reference, recipient): number of mails received} for these references."""
    counts = {}
    for message in stack.mail.messages():
        recipients = [r.strip() for r in message["X-RcptTo"].split(",")]
        for reference in set(REFERENCE_RE.findall(mail_text(message))):
            if reference in references:
                for recipient in recipients:
                    key = (reference, recipient)
                    counts[key] = counts.get(key, 0) + 1
    return counts


def wait_until_sent(stack, tokens, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = notifications(stack, tokens)
        if rows and all(row[3] == "sent" for row in rows):
            return rows
        time.sleep(1)
    return notifications(stack, tokens)


def delivery_figures(stack, tokens, timeout):
    rows = wait_until_sent(stack, tokens, timeout)
    expected = {(reference, recipient) for reference, _kind, recipient, _status in rows}
    received = deliveries(stack, {row[0] for row in rows})
    missing = [key for key in expected if received.get(key, 0) == 0]
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    unsent = [row for row in rows if row[3] != "sent"]
    return {
        "notifications": len(rows),
        "received": sum(received.values()),
        "missing": len(missing),
        "duplicates": duplicates,
        "unsent": len(unsent),
    }


# ---- the faults -------------------------------------------------------------------------------


def postgres_down(stack):
    """PostgreSQL stopped for 10 s while patients submit the form."""
    poller = Poller(["/healthz", "/", FORM_PATH]).start()
    driver = load.SubmissionLoad(
        "127.0.0.1",
        SITE_PORT,
        FORM_PATH,
        clients=8,
        seconds=35,
        fill_seconds=FILL_SECONDS,
    ).start()
    time.sleep(10)
    log("  stopping PostgreSQL")
    stack.stop_postgres_server()
    stopped_at = time.monotonic()
    time.sleep(10)
    log("  starting PostgreSQL")
    stack.start_postgres_server()
    back_at = time.monotonic()
    run = driver.join()
    time.sleep(1)
    poller.stop()

    seen = [
        (status, retry, b"Traceback" in body)
        for _, _, status, retry, body in poller.records
    ]
    seen += [
        (status, retry, traceback) for _, status, retry, traceback in run.form_fetches
    ]
    seen += [(s.status, s.retry_after, b"Traceback" in s.body) for s in run.submissions]
    bad = bad_responses(seen)
    during = [
        status
        for at, _path, status, _retry, _body in poller.records
        if stopped_at + 1 < at < back_at
    ]
    served_503 = sum(1 for status, _, _ in seen if status == 503)
    healthy_again = [
        at
        for at, path, status, _, _ in poller.records
        if path == "/healthz" and status == 200 and at > back_at
    ]
    recovered = healthy_again[0] - back_at if healthy_again else None
    first_303 = [
        s.started_at
        for s in run.submissions
        if s.status == 303 and s.started_at > back_at
    ]
    tokens = [t for t in tokens_of(run) if t]
    stored = stack.requests_for_tokens(tokens)
    lost = [t for t, count in stored.items() if count != 1]
    statuses = run.statuses()
    others = sorted(
        {
            f"{s.status}: {page_title(s.body)}"
            for s in run.submissions
            if s.status not in (303, 503)
        }
    )
    ok = (
        not bad
        and served_503 > 0
        and 503 in during
        and not lost
        and tokens
        and recovered is not None
        and recovered <= 5
        and first_303
        and stack.processes["site"].is_running()
    )
    detail = (
        f"{served_503} responses were 503 with Retry-After, {len(bad)} bad ({sorted(set(bad))[:5]}); "
        f"submissions {statuses} {others or ''}; worker restarted {stack.worker_restarts} time(s) "
        f"by its supervisor; {len(tokens)} x 303, {len(lost)} without exactly one row; "
        f"healthy again {recovered if recovered is None else f'{recovered:.1f}'} s after PostgreSQL returned, "
        f"first accepted submission started {f'{first_303[0] - back_at:.1f} s' if first_303 else 'never'} after; "
        "gunicorn not restarted"
    )
    return ok, detail


def smtp_down(stack):
    """The mail server down while patients submit; it comes back; every email goes out once."""
    stack.stop_smtp()
    run = submit(clients=5, seconds=15)
    statuses = run.statuses()
    tokens = [t for t in tokens_of(run) if t]
    pending = [row for row in notifications(stack, tokens) if row[3] != "sent"]
    log("  starting the SMTP sink again")
    stack.start_smtp()
    back_at = time.monotonic()
    figures = delivery_figures(stack, tokens, timeout=120)
    took = time.monotonic() - back_at
    accepted_all = set(statuses) == {303}
    ok = (
        accepted_all
        and tokens
        and len(pending) == figures["notifications"]
        and figures["missing"] == 0
        and figures["unsent"] == 0
        and figures["duplicates"] == 0
    )
    detail = (
        f"submissions {statuses}; {len(pending)} of {figures['notifications']} notifications waiting while down; "
        f"after the sink returned: {figures['received']} mails received, {figures['missing']} missing, "
        f"{figures['duplicates']} duplicates, all sent {took:.0f} s after"
    )
    return ok, detail


def worker_killed(stack):
    """The worker SIGKILLed in the middle of a delivery, then restarted."""
    stack.stop_smtp()
    # One second per message keeps a delivery in flight long enough to kill the worker in it.
    stack.start_smtp(delay=1.0)
    before = len(stack.mail.messages())
    run = submit(clients=4, seconds=FILL_SECONDS + 2)
    tokens = [t for t in tokens_of(run) if t]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(stack.mail.messages()) < before + 2:
        time.sleep(0.2)
    time.sleep(0.5)  # the next message is now inside the sink's one-second DATA handler
    in_flight = [row for row in notifications(stack, tokens) if row[3] == "sending"]
    log(f"  SIGKILL to the worker ({len(in_flight)} notification(s) in flight)")
    stack.kill_worker()
    unsent_at_kill = [row for row in notifications(stack, tokens) if row[3] != "sent"]
    time.sleep(2)
    stack.start_worker()
    figures = delivery_figures(stack, tokens, timeout=150)
    stack.stop_smtp()
    stack.start_smtp()
    ok = (
        tokens
        and unsent_at_kill
        and figures["missing"] == 0
        and figures["unsent"] == 0
        and figures["duplicates"] <= 1
    )
    detail = (
        f"{len(tokens)} requests, {figures['notifications']} notifications, {len(in_flight)} in flight and "
        f"{len(unsent_at_kill)} unsent at the kill; after restart {figures['received']} mails, "
        f"{figures['missing']} missing, {figures['duplicates']} duplicate(s) (at most 1 per crash allowed)"
    )
    return ok, detail


def pid_owning_port(port):
    output = subprocess.run(
        ["ss", "-tnpH", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"pid=(\d+)", output)
    return int(match.group(1)) if match else None


def killed_before_the_commit(stack):
    """The POST waits on the requests table, so its gunicorn worker dies before any row."""
    return gunicorn_worker_killed(stack, "appointments_appointmentrequest")


def killed_after_the_commit(stack):
    """The POST waits on the session table, after its request row has been committed."""
    return gunicorn_worker_killed(stack, "django_session")


def gunicorn_worker_killed(stack, table):
    """A POST blocks on a table lock; its gunicorn worker is SIGKILLed; the client retries."""
    patient = load.Patient("127.0.0.1", SITE_PORT, timeout=30)
    status, _, content = patient.get(FORM_PATH)
    form = load.parse_post_form(content.decode())
    if form is None:
        return False, f"no form ({status})"
    data = load.fill_form(form, 900_000)
    token = load.submission_token(data)
    time.sleep(FILL_SECONDS)
    locker = psycopg2.connect(
        host="127.0.0.1", port=PG_PORT, user="postgres", dbname=DB_NAME
    )
    watcher = psycopg2.connect(
        host="127.0.0.1", port=PG_PORT, user="postgres", dbname=DB_NAME
    )
    watcher.autocommit = True
    try:
        with locker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        first = load.Submission(data=data)
        action = form["action"] or FORM_PATH
        poster = threading.Thread(
            target=load.SubmissionLoad.post, args=(patient, action, first)
        )
        poster.start()
        victim = None
        deadline = time.monotonic() + 10
        while victim is None and time.monotonic() < deadline and poster.is_alive():
            # From another connection: inside the locker's transaction pg_stat_activity would
            # keep showing the snapshot taken at its first read.
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT client_port FROM pg_stat_activity "
                    "WHERE datname = %s AND wait_event_type = 'Lock'",
                    [DB_NAME],
                )
                ports = [row[0] for row in cursor.fetchall()]
            # The waiting backend that serves a gunicorn worker (not the task worker).
            owners = [pid_owning_port(port) for port in ports]
            gunicorn_workers = set(stack.gunicorn_workers())
            victim = next((pid for pid in owners if pid in gunicorn_workers), None)
            time.sleep(0.05)
        if victim is None:
            poster.join(30)
            return (
                None,
                f"the submission never waited on {table} "
                f"(status {first.status}, error {first.error or None})",
            )
        os.kill(victim, signal.SIGKILL)
        poster.join(30)
    finally:
        locker.rollback()
        locker.close()
        watcher.close()
    patient.close()
    committed_before_retry = stack.requests_for_tokens([token])[token]
    retry = load.Submission(data=data)
    for _attempt in range(3):
        load.SubmissionLoad.post(patient, action, retry)
        if retry.status is not None:
            break
        time.sleep(0.5)
    rows = stack.requests_for_tokens([token])[token]
    ok = first.status is None and retry.status == 303 and rows == 1
    detail = (
        f"lock on {table}: killed worker {victim}; first POST got "
        f"{first.error or first.status}; {committed_before_retry} row committed before the retry; "
        f"the retry with the same token got {retry.status}; "
        f"{rows} request(s) stored for the token"
    )
    return ok, detail


ARTICLE_PATH = "/education/neuropathic-pain/"
# The public pages the Redis-down fault visits (those this build serves before Redis stops).
PAGES = ["/", "/education/", ARTICLE_PATH, "/education/search/?q=nerve", FORM_PATH]


def fetch_article():
    status, headers, body = report.fetch(f"http://127.0.0.1:{SITE_PORT}{ARTICLE_PATH}")
    return status, headers.get("X-Cache", "none"), body


def after_redis_returns():
    """Redis is back, empty, and gunicorn was not restarted: is the article page cached again,
    and does a staff edit still show on the very next request to every worker?"""
    warm = {fetch_article()[1] for _ in range(20)}
    edit = probe("edit-article", ARTICLE_PATH.strip("/").split("/")[-1])
    if not edit:
        return False, "the staff edit failed"
    after = [fetch_article() for _ in range(12)]
    showing = sum(edit["marker"].encode() in body for _, _, body in after)
    ok = "hit" in warm and showing == len(after)
    return ok, (
        f"after Redis returned, 20 visits were {'/'.join(sorted(warm))} and {showing} of the "
        f"{len(after)} requests after a staff edit showed it"
    )


def redis_down(stack):
    """Redis stopped, rate limits on: pages served uncached, requests accepted, never a 500."""
    pages = [
        path
        for path in PAGES
        if load.Patient("127.0.0.1", SITE_PORT).get(path)[0] == 200
    ]
    stack.stop("site")
    stack.env["BENCH_RATELIMIT"] = "on"
    stack.start_site()
    # Every worker holds cached pages and its watch on the cache's generation when Redis goes.
    for _ in range(20):
        fetch_article()
    stack.stop_redis()
    try:
        seen = []
        timings = []
        for path in pages:
            started = time.monotonic()
            status, headers, body = load.Patient("127.0.0.1", SITE_PORT).get(path)
            timings.append(
                f"{path} {status} in {(time.monotonic() - started) * 1000:.0f} ms"
            )
            seen.append((path, status))
        run = submit(clients=3, seconds=FILL_SECONDS + 1)
        statuses = run.statuses()
        tokens = [t for t in tokens_of(run) if t]
        stored = stack.requests_for_tokens(tokens)
    finally:
        stack.start_redis()
    try:
        recovered, recovery = after_redis_returns()
    finally:
        stack.stop("site")
        stack.env["BENCH_RATELIMIT"] = "off"
        stack.start_site()
    ok = (
        all(status == 200 for _, status in seen)
        and set(statuses) == {303}
        and all(count == 1 for count in stored.values())
        and recovered
    )
    return (
        ok,
        f"pages: {', '.join(timings)}; submissions {statuses}, {sum(stored.values())} stored; "
        f"{recovery}",
    )


# The public pages the disk-lost fault compares before and after (those this build serves).
RESTORED_PAGES = ["/", "/visit/", "/education/", ARTICLE_PATH, FORM_PATH]
# What differs between two renderings of the same page: nonces, CSRF and one-time form tokens,
# and the article feedback form's token (signed with the time it was rendered).
PER_VISIT = re.compile(
    r'(nonce|name="csrfmiddlewaretoken" value|name="form_stamp" value|name="token" value)'
    r'="[^"]*"'
)


def same_page(body):
    return PER_VISIT.sub(r'\1=""', body.decode("utf-8", "replace"))


def table_checksums(stack):
    """{table: "rows|md5 of its rows in primary-key order"} of every table of the database."""
    tables = stack.psql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).split()
    checksums = {}
    for table in tables:
        key = stack.psql(
            "SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            f"WHERE i.indrelid = '{table}'::regclass AND i.indisprimary"
        )
        checksums[table] = stack.psql(
            "SET TimeZone = 'UTC'; SELECT count(*) || '|' || "
            f"coalesce(md5(string_agg(t::text, E'\\n' ORDER BY {key or 't::text'})), '') "
            f"FROM {table} t"
        )
    return checksums


def disk_lost(stack):
    """Back up, destroy the private cluster (and the uploads and the cache), restore from the
    repository into a new cluster, and serve the same pages and schedule."""
    booked = probe("book-visits")
    if not booked:
        return False, "booking the visits failed"
    pages_before = {
        path: report.fetch(f"http://127.0.0.1:{SITE_PORT}{path}")
        for path in RESTORED_PAGES
    }
    schedule_before = probe("schedule-page", booked["monday"])
    work = Path(tempfile.mkdtemp(prefix="clinic-bench-backup-"))
    try:
        media = work / "media"
        (media / "education").mkdir(parents=True)
        upload = os.urandom(50_000)
        (media / "education" / "bench.png").write_bytes(upload)
        (work / "passphrase").write_text(
            "bench-only passphrase, thrown away after the run"
        )
        env = {
            **stack.env,
            "RESTIC_REPOSITORY": str(work / "repository"),
            "RESTIC_PASSWORD_FILE": str(work / "passphrase"),
            "RESTIC_CACHE_DIR": str(work / "cache"),
            "MEDIA_ROOT": str(media),
        }
        # Nothing writes while the database is copied and compared: no site, no worker.
        stack.stop("site")
        stack.kill_worker()
        before = table_checksums(stack)
        backup = stack.manage("backup", "--init", env=env, check=False)
        if backup.returncode:
            return False, f"the backup failed: {backup.stderr.strip()[-500:]}"

        log("  destroying the PostgreSQL cluster, the uploads and the cache")
        lost_at = time.monotonic()
        stack.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(stack.pg_dir)
        shutil.rmtree(media)
        stack.stop_redis()
        stack.start_redis()
        stack.start_postgres()
        restore = stack.manage(
            "restore", "--into", DB_NAME, "--force", env=env, check=False
        )
        restored_at = time.monotonic()
        if restore.returncode:
            return False, f"the restore failed: {restore.stderr.strip()[-500:]}"
        after = table_checksums(stack)
        upload_back = (media / "education" / "bench.png").read_bytes() == upload
        stack.start_site()
        stack.start_worker()
        serving_at = time.monotonic()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    pages_after = {
        path: report.fetch(f"http://127.0.0.1:{SITE_PORT}{path}")
        for path in RESTORED_PAGES
    }
    schedule_after = probe("schedule-page", booked["monday"])
    # The backup records its own run after the dump, so that one row is not in the snapshot.
    differing = sorted(
        table
        for table in set(before) | set(after)
        if table != "clinic_backuprun" and before.get(table) != after.get(table)
    )
    changed_pages = [
        path
        for path in RESTORED_PAGES
        if (pages_before[path][0], same_page(pages_before[path][2]))
        != (pages_after[path][0], same_page(pages_after[path][2]))
    ]
    statuses = sorted({status for status, _, _ in pages_after.values()})
    same_schedule = (
        schedule_before
        and schedule_after
        and schedule_before["status"] == schedule_after["status"] == 200
        and same_page(schedule_before["html"].encode())
        == same_page(schedule_after["html"].encode())
        # The visits are on it, each linking to its page.
        and all(url in schedule_after["html"] for url in booked["visit_urls"])
    )
    rows = sum(int(value.split("|")[0]) for value in after.values())
    ok = (
        not differing
        and not changed_pages
        and statuses == [200]
        and same_schedule
        and upload_back
    )
    detail = (
        f"backed up {len(before)} tables ({rows:,} rows) and 1 upload "
        f"({'back, byte for byte' if upload_back else 'NOT restored'}); after the cluster was "
        f"destroyed, restored in {restored_at - lost_at:.1f} s (new cluster, restore and checks) "
        f"and serving again {serving_at - lost_at:.1f} s after the loss; "
        f"{len(differing)} tables differ{f' {differing[:5]}' if differing else ''}; "
        f"{len(RESTORED_PAGES) - len(changed_pages)} of {len(RESTORED_PAGES)} pages the same"
        f"{f' (not {changed_pages})' if changed_pages else ''}, statuses {statuses}; the "
        f"owner's week schedule with {booked['visits']} visits "
        f"{'the same' if same_schedule else 'DIFFERENT'}"
    )
    return ok, detail


# In this order: each fault leaves the stack running for the next one.
FAULTS = [
    Target("PostgreSQL stopped 10 s during submissions", postgres_down),
    Target("SMTP server down during submissions", smtp_down),
    Target("Worker SIGKILLed mid-delivery", worker_killed),
    Target(
        "Gunicorn worker SIGKILLed before the commit, client retries the same token",
        killed_before_the_commit,
    ),
    Target(
        "Gunicorn worker SIGKILLed after the commit, client retries the same token",
        killed_after_the_commit,
    ),
    Target("Redis down", redis_down),
    Target(
        "Disk lost: restore from the backup repository into a new cluster", disk_lost
    ),
]


def main():
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.monotonic()
    load_before = report.load_average()
    results = []
    with Stack(**FAULT_ENV) as stack:
        log("Starting PostgreSQL, Redis, the SMTP sink, gunicorn and the worker")
        stack.start_postgres()
        stack.start_redis()
        stack.start_smtp()
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        stack.manage("load_seed")
        stack.start_site()
        stack.start_worker()
        if load.Patient("127.0.0.1", SITE_PORT).get(FORM_PATH)[0] != 200:
            print("FAIL  the request form is not served on this build")
            return 1
        for fault in FAULTS:
            log(fault.name)
            try:
                ok, detail = fault.check(stack)
            except Exception as error:  # a fault run that crashes is a failed fault
                ok, detail = False, f"the fault run itself failed: {error!r}"
            stack.restart_site_if_dead()
            print(f"{report.verdict(ok):<4}  {fault.name}: {detail}", flush=True)
            results.append((fault.name, ok, detail))
    (OUT / "faults.json").write_text(json.dumps(results, indent=2))
    report.write_results_section(
        "faults",
        [
            "## Faults",
            "",
            f"Run `make faults` ({started_at}, {(time.monotonic() - started) / 60:.0f} minutes), on "
            "the same private stack as the benchmark. The outbox's timings are shortened for the "
            "run (lease 20 s, retry base 2 s, sweep 3 s); the worker runs under a supervisor that "
            "restarts it when it exits, as compose's restart policy or systemd would. Ports: "
            f"PostgreSQL {PG_PORT}, Redis {REDIS_PORT}, gunicorn {SITE_PORT}, SMTP sink "
            f"{SMTP_PORT}. Machine load average at the start: {load_before}.",
            "",
            *[
                f"- **{report.verdict(ok)}** {name}: {detail}"
                for name, ok, detail in results
            ],
            "",
        ],
    )
    return 0 if all(ok is not False for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
