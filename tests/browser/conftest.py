"""Browser test harness: Debian's Chromium through Playwright, axe-core and the Nu HTML Checker.

Fixtures for tests in tests/browser/ (mark them `@pytest.mark.browser`):

- `page`: a fresh Playwright page (own cookies) on the session's Chromium, with `base_url` set to
  the live server, so `page.goto("/visit/")` works. The test fails if the page logs a console
  error (CSP violations and failed loads of our own CSS included), throws an uncaught exception,
  or tries to fetch anything from another host. Expect an error with
  `browser_errors.allow(r"status of 404")`.
- `assert_accessible(page)`: axe-core with the WCAG 2.0/2.1/2.2 A and AA rules, zero violations.
- `assert_valid_html(*documents)`: the Nu HTML Checker over HTML strings or URLs, all in one
  Java run (start-up costs ~1-2 s, so pass several documents to one call where you can).
- `live_server`: pytest-django's, but static files come through WhiteNoise from STATIC_ROOT as in
  production (`make test` runs collectstatic first), so the hashed CSS URLs resolve.

Our CSP forbids eval, and the pages run under it: `page.wait_for_function(...)` compiles its
predicate with eval inside the page and fails whenever it has to poll. Wait with Playwright's
assertions instead, e.g. `expect(page.locator("#error-summary")).to_be_focused()`.
"""

import json
import os
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VNU_JAR = (
    Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


@pytest.fixture(scope="session")
def live_server(request):
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.getenv(
        "DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"
    )
    server = LiveServer(addr, start=False)
    # Django's test static handler serves source files by their plain names, but the manifest
    # storage links to hashed names: let WhiteNoise serve the collected files as in production.
    server.thread.static_handler = lambda handler: handler
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class BrowserErrors:
    """What went wrong in the page: console errors, uncaught exceptions, third-party requests."""

    def __init__(self):
        self.messages = []
        self.allowed = []

    def allow(self, pattern):
        """Expect errors matching this regular expression (e.g. loading a 404 page)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self):
        return [
            message
            for message in self.messages
            if not any(pattern.search(message) for pattern in self.allowed)
        ]


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture
def page(browser, live_server, browser_errors):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)

    def keep_local(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            browser_errors.messages.append(
                f"request to another host: {route.request.url}"
            )
            route.abort()

    context.route("**/*", keep_local)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and browser_errors.messages.append(
                f"console error on {page.url}: {message.text}"
            )
        ),
    )
    page.on(
        "pageerror",
        lambda error: browser_errors.messages.append(
            f"uncaught exception on {page.url}: {error}"
        ),
    )
    yield page
    context.close()
    unexpected = browser_errors.unexpected()
    if unexpected:
        pytest.fail(
            "The browser reported problems:\n  " + "\n  ".join(unexpected),
            pytrace=False,
        )


def _format_axe_violations(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"][:5]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            if node.get("failureSummary"):
                summary = " ".join(node["failureSummary"].split())
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def assert_accessible():
    axe = Axe()

    def check(page, context=None):
        """Run axe-core (bundled with axe-playwright-python, nothing fetched) on the page."""
        # After a click that navigates, the stylesheets may still be loading; axe would then
        # judge an unstyled page (e.g. touch targets) and fail at random under load.
        page.wait_for_load_state("load")
        options = {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "resultTypes": ["violations"],
        }
        violations = axe.run(page, context=context, options=options).response[
            "violations"
        ]
        assert not violations, (
            f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + _format_axe_violations(violations)
        )

    return check


def _fetch(url):
    try:
        response = urllib.request.urlopen(url, timeout=30)
    except urllib.error.HTTPError as error:
        # Error pages (404, 503...) are pages too: validate what the server sent.
        response = error
    with response:
        return response.read().decode(response.headers.get_content_charset() or "utf-8")


def _format_vnu_messages(messages, labels):
    lines = []
    for message in messages:
        label = labels.get(message.get("url", ""), message.get("url", "?"))
        where = f"line {message.get('lastLine', '?')}" + (
            f", column {message['firstColumn']}" if "firstColumn" in message else ""
        )
        lines.append(f"{label} ({where}): {message['message']}")
        if message.get("extract"):
            lines.append(f"    {' '.join(message['extract'].split())}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def assert_valid_html():
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci` (make venv does it)")

    def check(*documents):
        """Validate HTML strings and/or http(s) URLs in one Nu HTML Checker run.

        Fails on errors (not on the checker's informational warnings), naming the document,
        line and message of each.
        """
        assert documents, "assert_valid_html needs at least one document"
        with tempfile.TemporaryDirectory(prefix="vnu-") as directory:
            labels = {}
            paths = []
            for number, document in enumerate(documents, start=1):
                is_url = re.match(r"https?://", document) is not None
                path = Path(directory) / f"document-{number}.html"
                path.write_text(_fetch(document) if is_url else document, "utf-8")
                labels[path.resolve().as_uri().replace("file:///", "file:/")] = (
                    document if is_url else f"document {number}"
                )
                paths.append(str(path))
            result = subprocess.run(
                [
                    "java",
                    "-Xss2m",
                    "-jar",
                    str(VNU_JAR),
                    "--format",
                    "json",
                    "--stdout",
                    "--exit-zero-always",
                    *paths,
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
        try:
            messages = json.loads(result.stdout)["messages"]
        except (ValueError, KeyError):
            pytest.fail(f"The Nu HTML Checker did not run:\n{result.stderr[-2000:]}")
        errors = [
            message
            for message in messages
            if message["type"] in {"error", "non-document-error"}
        ]
        assert not errors, (
            f"The Nu HTML Checker found {len(errors)} error(s):\n"
            + _format_vnu_messages(errors, labels)
        )

    return check
