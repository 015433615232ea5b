"""Targets, checks over HTTP against the running stack, the machine's description, results."""

import gzip
import os
import platform
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import load


@dataclass(frozen=True)
class Target:
    """One named check of a run: `check(run)` returns (passed, detail).

    `passed` is True or False, or None where the check cannot apply on this build (reported as
    N/A, not as a failure); `detail` is the figures behind the verdict, for RESULTS.md.
    """

    name: str
    check: Callable[..., tuple[bool | None, str]]


def verdict(passed):
    return "PASS" if passed else ("N/A" if passed is None else "FAIL")


def fetch(url, headers=None, timeout=10):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


NONCE_RE = re.compile(r'nonce="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STYLESHEET_RE = re.compile(r'<link[^>]+rel="stylesheet"[^>]*>')
HREF_RE = re.compile(r'href="([^"]+)"')
SCRIPT_RE = re.compile(r"<script(?![^>]*application/ld\+json)[^>]*>", re.IGNORECASE)


# One-time form tokens: a hidden UUID, or a hidden field named like a token or stamp.
FORM_TOKEN_RE = re.compile(
    r'type="hidden"[^>]*value="([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"'
    r'|type="hidden" name="(?!csrfmiddlewaretoken)[^"]*(?:token|stamp)[^"]*" value="([^"]+)"'
)


def private_values(html):
    """What must differ between two visitors: CSP nonces, CSRF and one-time form tokens.

    A one-time token is a hidden UUID, or a signed value whose payload holds one ("token");
    a signed value naming only what the page shows (the article feedback form's, which names
    the article) is the same for everyone by design, on a page that is shared anyway.
    """
    return {
        "nonce": NONCE_RE.findall(html),
        "csrf": CSRF_RE.findall(html),
        "form token": [
            value
            for a, b in FORM_TOKEN_RE.findall(html)
            if (value := a or b) and load.submission_token([("token", value)])
        ],
    }


def check_not_shared(base, path):
    """Two visitors fetch the page: any nonce or CSRF token on it must differ between them."""
    first = fetch(base + path)[2].decode("utf-8", "replace")
    second = fetch(base + path)[2].decode("utf-8", "replace")
    a, b = private_values(first), private_values(second)
    shared = {
        kind: sorted(set(a[kind]) & set(b[kind]))
        for kind in a
        if set(a[kind]) & set(b[kind])
    }
    carried = {kind: len(a[kind]) for kind in a}
    return {"carries": carried, "shared": shared, "ok": not shared}


def check_conditional(base, path):
    status, headers, _ = fetch(base + path)
    etag = headers.get("ETag")
    last_modified = headers.get("Last-Modified")
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    if not conditional:
        return {"ok": False, "detail": "no ETag or Last-Modified header"}
    status304, headers304, body = fetch(base + path, headers=conditional)
    return {
        "ok": status304 == 304 and not body,
        "detail": f"{'ETag' if etag else 'Last-Modified'} -> {status304}",
        "cache_control": headers.get("Cache-Control", ""),
    }


def check_page_weight(base, path):
    status, headers, body = fetch(base + path)
    html = body.decode("utf-8", "replace")
    stylesheets = []
    for tag in STYLESHEET_RE.findall(html):
        href = HREF_RE.search(tag)
        if href:
            url = href.group(1)
            url = url if url.startswith("http") else base + url
            css_status, _, css = fetch(url)
            stylesheets.append({"url": url, "status": css_status, "bytes": len(css)})
    css_bytes = sum(s["bytes"] for s in stylesheets)
    scripts = SCRIPT_RE.findall(html)
    return {
        "status": status,
        "html_bytes": len(body),
        "html_gzip_bytes": len(gzip.compress(body)),
        "css_bytes": css_bytes,
        "stylesheets": stylesheets,
        "scripts": scripts,
        "ok": status == 200
        and len(body) < 30 * 1024
        and len(body) + css_bytes < 60 * 1024
        and not scripts,
    }


def check_static(base, page_path):
    """Every stylesheet the page links: compressed on request, cached far-future and immutable."""
    _, _, body = fetch(base + page_path)
    html = body.decode("utf-8", "replace")
    results = []
    for tag in STYLESHEET_RE.findall(html):
        href = HREF_RE.search(tag).group(1)
        url = href if href.startswith("http") else base + href
        plain_status, plain_headers, plain = fetch(url)
        status, headers, compressed = fetch(
            url, headers={"Accept-Encoding": "br, gzip"}
        )
        cache_control = headers.get("Cache-Control", "")
        max_age = re.search(r"max-age=(\d+)", cache_control)
        results.append(
            {
                "url": href,
                "bytes": len(plain),
                "encoding": headers.get("Content-Encoding", ""),
                "compressed_bytes": len(compressed),
                "cache_control": cache_control,
                "ok": status == 200
                and headers.get("Content-Encoding") in ("br", "gzip")
                and "immutable" in cache_control
                and max_age is not None
                and int(max_age.group(1)) >= 31_536_000,
            }
        )
    return {"files": results, "ok": bool(results) and all(r["ok"] for r in results)}


def _run(argv):
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return ""


def machine(psql_version):
    cpuinfo = (
        Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    )
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = (
        Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    )
    memory = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    import django
    import gunicorn

    return {
        "CPU": model.group(1) if model else platform.processor(),
        "Cores": str(os.cpu_count()),
        "Memory": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "?",
        "OS": _run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"])
        or platform.platform(),
        "Kernel": platform.release(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "PostgreSQL": psql_version,
        "Redis": _run(["redis-server", "--version"]).split(" sha=")[0],
        "wrk": _run(["sh", "-c", "wrk -v 2>&1 | head -n 1"]),
    }


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# "notes" is written by hand (what the figures mean, earlier runs); both scripts keep it.
SECTIONS = ("benchmark", "faults", "notes")


def write_results_section(name, lines):
    """Replace one script's section of bench/RESULTS.md, keeping the others."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    sections = {}
    for section in SECTIONS:
        match = re.search(
            rf"<!-- {section} -->\n(.*?)<!-- /{section} -->\n", text, flags=re.S
        )
        if match:
            sections[section] = match.group(1)
    sections[name] = "\n".join(lines).rstrip("\n") + "\n"
    RESULTS.write_text(
        "".join(
            f"<!-- {section} -->\n{sections[section]}<!-- /{section} -->\n"
            for section in SECTIONS
            if section in sections
        )
    )
