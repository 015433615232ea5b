"""The benchmark: production stack on loopback, realistic data, wrk at 16 connections.

Run with `make bench` (or `bench/run`). Takes about ten minutes. Prints a table and the targets
(PASS/FAIL) and writes bench/RESULTS.md. The targets are TARGETS below, checked in order after
the pages are measured; bench/README.md says how to add one.
"""

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import load, report
from bench.report import Target
from bench.stack import (
    FLOOR_MIDDLEWARE_PORT,
    GUNICORN_WORKERS,
    OUT,
    PYTHON,
    REPO,
    SITE_PORT,
    WAGTAIL_PORT,
    Stack,
    floor_url,
    log,
    probe,
    site_env,
    site_url,
    worker_rss_mb,
)

WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP", 5))
SECONDS = int(os.environ.get("BENCH_SECONDS", 15))
CONNECTIONS = 16
SUBMIT_CLIENTS = 40
SUBMIT_SECONDS = int(os.environ.get("BENCH_SUBMIT_SECONDS", 60))
STRESS_SECONDS = int(os.environ.get("BENCH_STRESS_SECONDS", 30))
FORM_PATH = "/appointments/request/"
# Requests checked after a staff edit: each gunicorn worker answers some of them.
AFTER_EDIT = 12
# The form rejects submissions sent faster than a person could type (spam check); the load
# driver waits this long between fetching and posting it, as a quick patient would.
FILL_SECONDS = float(os.environ.get("BENCH_FILL_SECONDS", 3))

RATE_LIMITS_NOTE = (
    "Rate limits are off in this run (bench/site_settings.py, the one setting that differs "
    "from production): every simulated patient comes from 127.0.0.1, so per-client limits "
    "would measure the limiter, not the site. gunicorn runs the shipped gunicorn.conf.py "
    "unchanged (preloaded app, no recycling, the memory guard); the fault suite turns the "
    "limits on for its Redis-down fault."
)

PAGES = [
    ("Home page", "/"),
    ("Article list", "/education/"),
    ("Article page", None),  # the seed article, resolved at run time
    ("Search", "/education/search/?q=nerve+pain"),
    ("Request form", FORM_PATH),
    ("Open times (a year of visits)", None),  # the bench visit type's, from the probe
]
# Holds fetched for the hold submission run: more than 16 patients post in its 15 seconds.
HOLD_FORMS = 1500


def article_path(stack):
    slug = "neuropathic-pain"
    status = report.fetch(f"{site_url()}/education/{slug}/")[0]
    if status == 200:
        return f"/education/{slug}/"
    try:
        slug = stack.psql(
            "SELECT slug FROM education_article WHERE status = 'published' ORDER BY id LIMIT 1"
        )
    except subprocess.CalledProcessError:
        return None
    return f"/education/{slug}/" if slug else None


def drive(url):
    load.wrk(url, seconds=WARMUP_SECONDS, connections=CONNECTIONS)
    return load.wrk(url, seconds=SECONDS, connections=CONNECTIONS)


def submissions(clients, seconds, prefetch=0, pipelined=False, form_path=FORM_PATH):
    driver = load.SubmissionLoad(
        "127.0.0.1",
        SITE_PORT,
        form_path,
        clients=clients,
        seconds=seconds,
        fill_seconds=FILL_SECONDS,
        prefetch=prefetch,
        pipelined=pipelined,
    )
    run = driver.start().join()
    return run, driver.elapsed


def stored_for(stack, run):
    """Rows stored for the 303s: matched by the submission token each client posted."""
    tokens = [load.submission_token(s.data) for s in run.submissions if s.status == 303]
    stored = stack.requests_for_tokens([t for t in tokens if t])
    return {
        "rows": sum(stored.values()),
        "distinct_tokens": len(set(tokens)),
        "duplicates": stack.duplicate_tokens(),
        "spam": stack.spam_for_tokens([t for t in tokens if t]),
    }


def check_freshness(article_path):
    """A staff edit and a scheduled publication show on the very next request, cache or not."""
    import time

    base = site_url()
    # Enough visits for every gunicorn worker to hold its own copy of the page.
    cached = {
        report.fetch(base + article_path)[1].get("X-Cache", "none") for _ in range(20)
    }
    list_before = report.fetch(base + "/education/")[2]
    slug = article_path.strip("/").split("/")[-1]
    edit = probe("edit-article", slug) or {"marker": "(edit failed)", "old_title": ""}
    marker = edit["marker"].encode()
    after_edit = [report.fetch(base + article_path)[2] for _ in range(AFTER_EDIT)]
    page_shows = all(marker in body for body in after_edit)
    # The list shows only some articles per topic: check it when it listed this one.
    was_listed = f'href="{article_path}"'.encode() in list_before
    list_shows = marker in report.fetch(base + "/education/")[2] or not was_listed
    scheduled = probe("schedule-article", "8") or {}
    if not scheduled:
        return False, "could not schedule an article"
    title = scheduled["title"].encode()
    before = (
        report.fetch(base + scheduled["path"])[0],
        title in report.fetch(base + "/education/")[2],
    )
    time.sleep(max(0, scheduled["publish_at"] - time.time()) + 0.5)
    after = (
        report.fetch(base + scheduled["path"])[0],
        title in report.fetch(base + "/education/")[2],
    )
    ok = page_shows and list_shows and before == (404, False) and after == (200, True)
    return ok, (
        f"page was cached (X-Cache of 20 visits: {', '.join(sorted(cached))}); after a staff "
        f"edit made in another process, {sum(marker in body for body in after_edit)} of the "
        f"{AFTER_EDIT} next requests to the {GUNICORN_WORKERS} workers showed it, and the list "
        f"{('shows' if list_shows else 'does NOT show') if was_listed else '(which did not list it) need not show'} "
        "it; a scheduled article answered "
        f"{before[0]} and was {'listed' if before[1] else 'unlisted'} before its time, "
        f"{after[0]} and {'listed' if after[1] else 'unlisted'} 0.5 s after it"
    )


def fmt(value, spec=".0f"):
    return "n/a" if value is None else format(value, spec)


# ---- targets ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What the targets read: the running stack and what was measured before them."""

    stack: Stack
    figures: dict
    paths: dict  # {label: path} of the PAGES this build serves
    has_form: bool

    def page(self, label):
        return next((p for p in self.figures["pages"] if p["label"] == label), None)


NO_ARTICLE = (False, "no article page")


def vs_wagtail(page):
    return (
        ""
        if page.get("vs_wagtail") is None
        else f", {page['vs_wagtail']:.1f}x Wagtail's article page"
    )


def article_throughput(run):
    if (article := run.page("Article page")) is None:
        return NO_ARTICLE
    return (
        article["ratio"] >= 0.85 and article["p99_ms"] <= 3 * article["floor_p99_ms"]
    ), (
        f"{article['rps']:.0f} req/s vs floor {article['floor_rps']:.0f} req/s (runs just before "
        f"and after) = {article['ratio']:.0%}; p99 {article['p99_ms']:.1f} ms vs the floor's "
        f"{article['floor_p99_ms']:.1f} ms = {article['p99_ms'] / article['floor_p99_ms']:.1f}x"
        + vs_wagtail(article)
    )


def form_throughput(run):
    if (form := run.page("Request form")) is None:
        return False, "no request form on this build"
    return form["ratio"] >= 0.25, (
        f"{form['rps']:.0f} req/s vs floor {form['floor_rps']:.0f} req/s = {form['ratio']:.0%} "
        f"(aim: 50%), p50 {form['p50_ms']:.1f} ms, p99 {form['p99_ms']:.1f} ms"
        + vs_wagtail(form)
    )


def submission_throughput(run):
    if (submission := run.page("Request submission")) is None:
        return False, "no request form on this build"
    return submission["ratio"] >= 0.10, (
        f"{submission['rps']:.0f} stored submissions/s vs floor {submission['floor_rps']:.0f} "
        f"req/s = {submission['ratio']:.0%}, POST p50 {fmt(submission['p50_ms'], '.1f')} ms, "
        f"p99 {fmt(submission['p99_ms'], '.1f')} ms" + vs_wagtail(submission)
    )


def open_times_page(run):
    booking = run.figures.get("online_booking") or {}
    page = run.page("Open times (a year of visits)")
    if page is None or "queries" not in booking:
        return False, f"no open-times page on this build ({booking.get('error', '')})"
    return booking["queries"] <= 6 and page["errors"] == 0, (
        f"{booking['queries']} queries with {booking['visits']} visits in the schedule; "
        f"{page['rps']:.0f} req/s = {page['ratio']:.0%} of the floor, "
        f"p99 {fmt(page['p99_ms'], '.1f')} ms, {page['errors']} errors"
    )


def hold_submissions(run):
    page = run.page("Hold submission")
    if page is None:
        return False, "no hold submissions on this build"
    statuses = page.get("statuses", {})
    bad = {k: v for k, v in statuses.items() if k != "303"}
    return not bad and statuses.get("303", 0) > 0, (
        f"{page['rps']:.0f} held times/s = {page['ratio']:.0%} of the floor, POST p50 "
        f"{fmt(page['p50_ms'], '.1f')} ms, p99 {fmt(page['p99_ms'], '.1f')} ms, "
        f"statuses {statuses}"
    )


def submission_queries(run):
    probe_result = run.figures.get("submission_probe") or {}
    if "queries" not in probe_result:
        return False, f"could not count ({probe_result.get('error', 'probe failed')})"
    return probe_result["status"] == 303 and probe_result["queries"] <= 8, (
        f"a new patient's POST (fresh browser): {probe_result['queries']} queries, answered "
        f"{probe_result['status']}: "
        + "; ".join(sql[:48] for sql in probe_result["sql"])
    )


def article_queries(run):
    if (article := run.page("Article page")) is None:
        return NO_ARTICLE
    constancy = probe("article-constancy") or []
    run.figures["constancy"] = constancy
    counts = sorted({c["queries"] for c in constancy})
    miss = article["queries_miss"]
    detail = (
        f"miss {miss} queries (with the practice record and cache state already cached; "
        f"{article['queries_cold']} on an empty cache), hit {article['queries_hit']}; "
    ) + "; ".join(f"{c['label']} ({c['counts']}): {c['queries']}" for c in constancy)
    ok = (
        miss is not None
        and miss <= 5
        and len(counts) <= 1
        and (not counts or counts[0] <= 5)
    )
    return ok, detail


def conditional_request(run):
    if "Article page" not in run.paths:
        return NO_ARTICLE
    conditional = report.check_conditional(site_url(), run.paths["Article page"])
    run.figures["conditional"] = conditional
    return conditional["ok"], conditional["detail"]


def freshness(run):
    if "Article page" not in run.paths:
        return NO_ARTICLE
    return check_freshness(run.paths["Article page"])


def article_weight(run):
    if "Article page" not in run.paths:
        return NO_ARTICLE
    weight = report.check_page_weight(site_url(), run.paths["Article page"])
    run.figures["weight"] = weight
    return weight["ok"], (
        f"HTML {weight['html_bytes'] / 1024:.1f} KB ({weight['html_gzip_bytes'] / 1024:.1f} KB gzip), "
        f"with CSS {(weight['html_bytes'] + weight['css_bytes']) / 1024:.1f} KB, "
        f"{len(weight['scripts'])} script tags"
    )


def static_files(run):
    static = report.check_static(site_url(), run.paths.get("Article page", "/"))
    run.figures["static"] = static
    return static["ok"], "; ".join(
        f"{f['url']}: {f['bytes']} B -> {f['encoding'] or 'uncompressed'} {f['compressed_bytes']} B, "
        f"Cache-Control: {f['cache_control']}"
        for f in static["files"]
    ) or "no stylesheet linked"


def private_pages(run):
    private = {
        label: report.check_not_shared(site_url(), path)
        for label, path in run.paths.items()
    }
    run.figures["private"] = private
    form = private.get("Request form")
    ok = (
        all(p["ok"] for p in private.values())
        and form is not None
        and form["carries"]["csrf"] > 0
    )
    return ok, "; ".join(
        f"{label}: {p['carries']['csrf']} CSRF/{p['carries']['form token']} form token/"
        f"{p['carries']['nonce']} nonce, "
        + ("all differ between visitors" if p["ok"] else f"SHARED {p['shared']}")
        for label, p in private.items()
    )


def patients_submitting(run):
    return submissions_stored(run, "submissions", SUBMIT_SECONDS, pipelined=False)


def stress_submissions(run):
    return submissions_stored(run, "stress", STRESS_SECONDS, pipelined=True)


def submissions_stored(run, key, seconds, *, pipelined):
    """Every 303 stored once, no 5xx; and unless pipelined, POST p99 under 500 ms."""
    if not run.has_form:
        return False, "no request form on this build"
    log(f"{key}: {SUBMIT_CLIENTS} clients x {seconds}s")
    load_run, elapsed = submissions(SUBMIT_CLIENTS, seconds, pipelined=pipelined)
    statuses = load_run.statuses()
    stored = stored_for(run.stack, load_run)
    posted = statuses.get(303, 0)
    five_xx = sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500)
    p99 = load_run.latency(99)
    run.figures[key] = {
        "clients": SUBMIT_CLIENTS,
        "seconds": elapsed,
        "statuses": {str(k): v for k, v in statuses.items()},
        "stored": stored,
        "p50_ms": load_run.latency(50),
        "p99_ms": p99,
        "form_errors": load_run.form_errors,
    }
    ok = (
        posted > 0
        and stored["rows"] == posted == stored["distinct_tokens"]
        and stored["duplicates"] == 0
        and stored["spam"] == 0
        and five_xx == 0
        and "error" not in statuses
        and (pipelined or (p99 is not None and p99 < 500))
    )
    return ok, (
        f"{posted} x 303 ({posted / elapsed:.1f}/s), {stored['rows']} rows stored "
        f"({stored['spam']} caught as spam), {stored['duplicates']} duplicates, "
        f"statuses {statuses}, POST p50 {fmt(load_run.latency(50))} ms, "
        f"p99 {fmt(p99)} ms"
    )


# In this order: the submission runs come last, as they fill the database.
TARGETS = [
    Target(
        "Article page >= 85% of the floor's throughput, p99 within 3x the floor's",
        article_throughput,
    ),
    Target("Request form >= 25% of the floor's throughput", form_throughput),
    Target(
        "Request submission >= 10% of the floor's throughput", submission_throughput
    ),
    Target("A submission makes at most 8 SQL queries", submission_queries),
    Target(
        "Open-times page from a year of visits in at most 6 queries, no errors",
        open_times_page,
    ),
    Target(
        "Hold submissions, each a different open time: every one held (303), no 5xx",
        hold_submissions,
    ),
    Target(
        "Article cache miss <= 5 queries, constant in references/topics/related",
        article_queries,
    ),
    Target("Conditional request gets 304", conditional_request),
    Target(
        "Staff edits and scheduled articles visible on the very next request", freshness
    ),
    Target(
        "Article page < 30 KB HTML, < 60 KB with its CSS, no JavaScript", article_weight
    ),
    Target("Static files compressed, far-future immutable caching", static_files),
    Target("Forms and CSP nonces never served from a shared cache", private_pages),
    Target(
        f"{SUBMIT_CLIENTS} concurrent patients x {SUBMIT_SECONDS}s (each: fetch the form, "
        f"{FILL_SECONDS:g}s to fill it, post): every 303 stored once, no 5xx, p99 < 500 ms",
        patients_submitting,
    ),
    Target(
        f"Stress, {SUBMIT_CLIENTS} clients x {STRESS_SECONDS}s with no think time "
        "(a GET or POST always in flight): every 303 stored once, no 5xx",
        stress_submissions,
    ),
]


def main():
    load.ensure_wrk()
    started_at = datetime.now(UTC)
    load_before = report.load_average()
    figures = {"pages": [], "targets": [], "notes": []}
    with Stack() as stack:
        log("Starting PostgreSQL, Redis and the SMTP sink")
        stack.start_postgres()
        stack.start_redis()
        stack.start_smtp()
        log("Migrating, collecting static files, seeding")
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        stack.manage("load_seed")
        seeding = subprocess.run(
            [PYTHON, "-m", "bench.seed"],
            env=site_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        log(seeding.stdout.strip() or seeding.stderr[-2000:])
        if seeding.returncode:
            # A half-seeded site would be measured as if it were whole (an empty schedule
            # makes the open-times rows meaningless): stop instead.
            raise SystemExit(f"Seeding failed:\n{seeding.stderr[-3000:]}")
        figures["seed"] = seeding.stdout.strip()
        log("Starting gunicorn (site and floor) and the worker")
        stack.start_site()
        stack.start_floor()
        stack.start_floor("bench.floor_middleware", FLOOR_MIDDLEWARE_PORT)
        stack.start_worker()
        log(RATE_LIMITS_NOTE)
        log("Starting Wagtail, the comparison target (bench/wagtail_site)")
        wagtail_path = stack.start_wagtail()
        if wagtail_path is None:
            figures["notes"].append(
                "Wagtail: could not be started on this machine (see the run's log); the "
                "pages are compared with the floor only."
            )
        site_pids_at_start = sorted(stack.gunicorn_workers())

        pages = []
        log("Online booking: the open-times page and the open times to hold")
        booking = probe("online-booking", str(HOLD_FORMS)) or {}
        figures["online_booking"] = {
            k: v for k, v in booking.items() if k != "details_paths"
        }
        for label, path in PAGES:
            if path is None and label.startswith("Open times"):
                path = booking.get("times_path")
            elif path is None:
                path = article_path(stack)
            if path is None or report.fetch(site_url() + path)[0] != 200:
                figures["notes"].append(
                    f"{label}: not available on this build ({path})."
                )
                continue
            pages.append((label, path))
        paths = dict(pages)
        has_form = "Request form" in paths and load.parse_post_form(
            report.fetch(site_url() + FORM_PATH)[2].decode()
        )
        if not has_form:
            figures["notes"].append(
                "Request submission: no form to submit on this build."
            )

        log("Counting SQL queries per page (cache miss and hit)")
        queries = probe("queries", json.dumps([p for _, p in pages])) or {}
        submission_probe = (
            probe("submission", FORM_PATH, str(FILL_SECONDS)) if has_form else None
        )

        # The machine is shared, so its speed drifts: the floor is measured between every two
        # rows, and each row's ratio uses the floor runs just before and just after it.
        log(
            f"Floor: warm-up {WARMUP_SECONDS}s, then {SECONDS}s at {CONNECTIONS} connections"
        )
        load.wrk(floor_url() + "/", seconds=WARMUP_SECONDS, connections=CONNECTIONS)
        floors = [load.wrk(floor_url() + "/", seconds=SECONDS, connections=CONNECTIONS)]

        def drain_note(label, drained):
            # The worker's emails for the run, sent before the floor after it is measured.
            figures["notes"].append(
                f"{label}: the worker sent this run's emails in {drained:.0f}s more after "
                "the timed window; the floor run after it began once the outbox was empty."
                if drained is not None
                else f"{label}: the outbox was still not empty 300s after the window."
            )
            log(figures["notes"][-1])

        def paired(result):
            floors.append(
                load.wrk(floor_url() + "/", seconds=SECONDS, connections=CONNECTIONS)
            )
            floor_rps = (floors[-2]["rps"] + floors[-1]["rps"]) / 2
            return {
                **result,
                "floor_rps": floor_rps,
                "floor_p99_ms": (floors[-2]["p99_ms"] + floors[-1]["p99_ms"]) / 2,
                "ratio": result["rps"] / floor_rps,
            }

        log("Floor behind the site's settings and middleware")
        floor_middleware = paired(drive(f"http://127.0.0.1:{FLOOR_MIDDLEWARE_PORT}/"))
        wagtail = None
        if wagtail_path is not None:
            log(f"Wagtail's article page {wagtail_path}")
            wagtail = paired(drive(f"http://127.0.0.1:{WAGTAIL_PORT}{wagtail_path}"))
            wagtail["path"] = wagtail_path
            wagtail["bytes"] = len(
                report.fetch(f"http://127.0.0.1:{WAGTAIL_PORT}{wagtail_path}")[2]
            )
        for label, path in pages:
            log(f"{label} {path}")
            result = paired(drive(site_url() + path))
            measured = queries.get(path, {})
            cold, miss, hit = (measured.get(k, {}) for k in ("cold", "miss", "hit"))
            figures["pages"].append(
                {
                    "label": label,
                    "path": path,
                    **result,
                    "queries_cold": cold.get("queries"),
                    "queries_miss": miss.get("queries"),
                    "queries_hit": hit.get("queries"),
                    "bytes": miss.get("bytes"),
                    "gzip_bytes": miss.get("gzip_bytes"),
                    "errors": result["non_2xx_3xx"] + result["socket_errors"],
                }
            )
        if has_form:
            log(f"Request submission: {CONNECTIONS} patients, {SECONDS}s of POSTs")
            run, seconds = submissions(CONNECTIONS, SECONDS, prefetch=SECONDS * 4)
            statuses = run.statuses()
            drain_note("Request submission", stack.wait_for_outbox())
            result = paired(
                {
                    "rps": statuses.get(303, 0) / seconds,
                    "p50_ms": run.latency(50),
                    "p99_ms": run.latency(99),
                }
            )
            figures["pages"].append(
                {
                    "label": "Request submission",
                    "path": f"POST {FORM_PATH}",
                    **result,
                    "queries_cold": None,
                    "queries_miss": (submission_probe or {}).get("queries"),
                    "queries_hit": None,
                    "bytes": None,
                    "gzip_bytes": None,
                    "errors": sum(v for k, v in statuses.items() if k != 303),
                    "statuses": {str(k): v for k, v in statuses.items()},
                }
            )

        if booking.get("details_paths"):
            log(f"Hold submission: {CONNECTIONS} patients, {SECONDS}s of POSTs")
            run, seconds = submissions(
                CONNECTIONS,
                SECONDS,
                prefetch=SECONDS * 4,
                form_path=booking["details_paths"],
            )
            statuses = run.statuses()
            drain_note("Hold submission", stack.wait_for_outbox())
            result = paired(
                {
                    "rps": statuses.get(303, 0) / seconds,
                    "p50_ms": run.latency(50),
                    "p99_ms": run.latency(99),
                }
            )
            figures["pages"].append(
                {
                    "label": "Hold submission",
                    "path": "POST /appointments/book/details/",
                    **result,
                    "queries_cold": None,
                    "queries_miss": None,
                    "queries_hit": None,
                    "bytes": None,
                    "gzip_bytes": None,
                    "errors": sum(v for k, v in statuses.items() if k != 303),
                    "statuses": {str(k): v for k, v in statuses.items()},
                }
            )
        else:
            figures["notes"].append(
                "Hold submission: no open times to hold on this build "
                f"({booking.get('error', 'online booking unavailable')})."
            )

        import gzip

        floor_bytes = report.fetch(floor_url() + "/")[2]
        floor_rps = [f["rps"] for f in floors]
        figures["floor"] = {
            "rps": sum(floor_rps) / len(floor_rps),
            "rps_min": min(floor_rps),
            "rps_max": max(floor_rps),
            "runs": len(floors),
            "p50_ms": sorted(f["p50_ms"] for f in floors)[len(floors) // 2],
            "p99_ms": sorted(f["p99_ms"] for f in floors)[len(floors) // 2],
            "bytes": len(floor_bytes),
            "gzip_bytes": len(gzip.compress(floor_bytes)),
        }
        figures["floor_middleware"] = floor_middleware
        figures["wagtail"] = wagtail
        for page in figures["pages"]:
            page["vs_wagtail"] = (
                page["ratio"] / wagtail["ratio"] if wagtail is not None else None
            )
        figures["submission_probe"] = submission_probe

        print()
        measured = Run(stack, figures, paths, bool(has_form))
        for target in TARGETS:
            ok, detail = target.check(measured)
            figures["targets"].append(
                {"name": target.name, "ok": bool(ok), "detail": detail}
            )
            print(f"{report.verdict(ok)}  {target.name}: {detail}", flush=True)

        figures["memory"] = {
            name: worker_rss_mb(stack.gunicorn_workers(name))
            for name in ("site", "floor", "wagtail")
            if name in stack.processes
        }
        site_pids_at_end = sorted(stack.gunicorn_workers())
        figures["site_workers"] = {
            "at_start": site_pids_at_start,
            "at_end": site_pids_at_end,
            "replaced": len(set(site_pids_at_start) - set(site_pids_at_end)),
        }
        figures["machine"] = report.machine(stack.psql("SHOW server_version"))
    figures["load_before"] = load_before
    figures["load_after"] = report.load_average()
    figures["started_at"] = started_at.strftime("%Y-%m-%d %H:%M UTC")
    figures["minutes"] = (datetime.now(UTC) - started_at).total_seconds() / 60
    print_table(figures)
    write_results(figures)
    (OUT / "results.json").write_text(json.dumps(figures, indent=2, default=str))
    return 0 if all(t["ok"] for t in figures["targets"]) else 1


def table_lines(figures):
    floor = figures["floor"]
    middleware = figures["floor_middleware"]
    wagtail = figures.get("wagtail")
    lines = [
        "| Page | req/s | p50 ms | p99 ms | vs floor | vs Wagtail | SQL queries (empty cache / miss / hit) | bytes | gzip bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| Floor (static 15 KB, no DB, no middleware) | {floor['rps']:.0f} | {floor['p50_ms']:.1f} "
        f"| {floor['p99_ms']:.1f} | 100% | | 0 | {floor['bytes']} | {floor['gzip_bytes']} |",
        f"| Floor behind the site's settings and middleware (diagnostic) | {middleware['rps']:.0f} "
        f"| {middleware['p50_ms']:.1f} | {middleware['p99_ms']:.1f} "
        f"| {middleware['ratio']:.0%} | | 0 | {floor['bytes']} | {floor['gzip_bytes']} |",
    ]
    if wagtail:
        lines.append(
            f"| Wagtail 8's article page (`{wagtail['path']}`, bench/wagtail_site) "
            f"| {wagtail['rps']:.0f} | {wagtail['p50_ms']:.1f} | {wagtail['p99_ms']:.1f} "
            f"| {wagtail['ratio']:.0%} | 1.0x | n/a | {wagtail['bytes']} | |"
        )
    for p in figures["pages"]:
        queries = " / ".join(
            "n/a" if p[key] is None else str(p[key])
            for key in ("queries_cold", "queries_miss", "queries_hit")
        )
        if p["label"] == "Request submission":
            queries = f"{p['queries_miss']} per submission"
        lines.append(
            f"| {p['label']} (`{p['path']}`) | {p['rps']:.0f} | {fmt(p['p50_ms'], '.1f')} "
            f"| {fmt(p['p99_ms'], '.1f')} | {p['ratio']:.0%} | {fmt(p.get('vs_wagtail'), '.1f')}x "
            f"| {queries} | {fmt(p['bytes'], 'd')} | {fmt(p['gzip_bytes'], 'd')} |"
        )
    return lines


def memory_lines(figures):
    names = {
        "site": "The site",
        "floor": "The floor",
        "wagtail": "Wagtail",
    }
    lines = []
    for name, sizes in figures.get("memory", {}).items():
        known = [size for size in sizes if size is not None]
        lines.append(
            f"- {names[name]}: {', '.join(f'{size:.0f}' for size in known)} MB "
            f"({len(known)} workers, mean {sum(known) / max(1, len(known)):.0f} MB)"
        )
    workers = figures.get("site_workers")
    if workers:
        lines.append(
            f"- The site's workers replaced during the run: {workers['replaced']} of "
            f"{len(workers['at_start'])} (the memory guard's limit: "
            f"GUNICORN_WORKER_MAX_RSS_MB, default 400)"
        )
    return lines


def print_table(figures):
    print()
    for line in table_lines(figures):
        print(line)
    print("\nResident memory (RSS) per gunicorn worker after the run:")
    for line in memory_lines(figures):
        print(line)
    print(f"\n{RATE_LIMITS_NOTE}")
    for note in figures["notes"]:
        print(f"note: {note}")


def write_results(figures):
    machine = figures["machine"]
    # The load before the run says whether other work was running: the one after it is mostly
    # the bench's own (its last rows keep both cores busy for a minute).
    loaded = "0.00"
    with contextlib.suppress(IndexError, ValueError):
        loaded = f"{float(figures['load_before'].split()[0]):.2f}"
    lines = [
        "# Benchmark results",
        "",
        f"Run `make bench` ({figures['started_at']}, {figures['minutes']:.0f} minutes). "
        "Production stack on loopback: gunicorn with 4 sync workers and the project's "
        "gunicorn.conf.py unchanged (the app preloaded in the master, no recycling after N "
        "requests, a worker past GUNICORN_WORKER_MAX_RSS_MB retiring after its request; the "
        "access log on, into bench/out/site.log), DEBUG off, static files through WhiteNoise "
        "after collectstatic, the `db_worker`, a private PostgreSQL cluster and a private Redis "
        "as the cache. Plain http (`SECURE_HTTPS=false`: there is no TLS terminator on loopback; "
        "production keeps it on). "
        + RATE_LIMITS_NOTE
        + f" wrk with {CONNECTIONS} connections, "
        f"{WARMUP_SECONDS}s warm-up then {SECONDS}s per row.",
        "",
        "Wagtail: the comparison target is the same seed article as a Wagtail 8 page "
        "(`bench/wagtail_site`: Wagtail's own project template, its settings and middleware, "
        "a page type with a title and a rich-text body, no cache), in a virtualenv of its own "
        "(`bench/out/wagtail-venv`), on the same PostgreSQL cluster, under the same "
        "gunicorn.conf.py and number of workers, measured between two floor runs like every "
        "row. A page's 'vs Wagtail' is its ratio to the floor over Wagtail's ratio to the floor "
        "(both measured in this run).",
        "",
        "The floor is a minimal Django view returning a static 15 KB string (no database, no "
        "middleware, `bench/floor.py`) under the same gunicorn settings. Because the machine's "
        "speed drifts, the floor is measured between every two rows "
        f"({figures['floor']['runs']} runs, {figures['floor']['rps_min']:.0f} to "
        f"{figures['floor']['rps_max']:.0f} req/s, mean {figures['floor']['rps']:.0f}) and each "
        "row's ratio is to the mean of the floor runs just before and just after it. The "
        "diagnostic row serves the same view through the site's own settings and middleware "
        "(`bench/floor_middleware.py`): what the middleware stack alone costs.",
        "",
        f"Load average before / after the run: {figures['load_before']} / {figures['load_after']}. "
        + (
            f"**Other work was running when the run began (load {loaded} over the last minute "
            f"on {machine['Cores']} cores), so absolute figures are noisy; the ratios measured "
            "side by side in one run are what matter.**"
            if float(loaded) > 0.5
            else "The machine was quiet when the run began; the load after it is the bench's own."
        ),
        "",
        "## Figures",
        "",
        *table_lines(figures),
        "",
        "SQL queries: counted with Django's test client and `CaptureQueriesContext` against the "
        "same database and cache: on an empty cache; on a miss of this page only (the practice "
        "record and the education cache state already cached by other pages, the steady state "
        "after a staff edit); on a hit. Bytes: the HTML of a cache miss, raw and gzip-compressed.",
        "",
        "Request submission: a Python load driver (`bench/load.py`; wrk cannot fetch a fresh "
        f"one-time token per request). {CONNECTIONS} patients, each with its own cookie jar, "
        "first fetch their forms (each with its own CSRF token and one-time form token), wait "
        f"{FILL_SECONDS:g}s (the form's anti-spam minimum time to fill), then POST them back to "
        f"back for {SECONDS}s; req/s counts 303 answers, latencies are the POSTs'. In the "
        f"{SUBMIT_CLIENTS}-patient target run each patient fetches the form, takes "
        f"{FILL_SECONDS:g}s to fill it in and posts it, over and over; the stress run removes "
        "the think time (each client keeps fetching forms and posts each one "
        f"{FILL_SECONDS:g}s after fetching it, so a GET or a POST is always in flight).",
        "",
        *[f"- {note}" for note in figures["notes"]],
        "",
        f"Seeding: {figures.get('seed', '')}",
        "",
        "## Memory",
        "",
        "Resident memory (RSS, /proc/PID/status) of each gunicorn worker after the run, "
        "submissions and stress included:",
        "",
        *memory_lines(figures),
        "",
        "## Targets",
        "",
        *[
            f"- **{'PASS' if t['ok'] else 'FAIL'}** {t['name']}: {t['detail']}"
            for t in figures["targets"]
        ],
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
    ]
    report.write_results_section("benchmark", lines)


if __name__ == "__main__":
    sys.exit(main())
