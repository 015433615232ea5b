"""Rendered public education pages in the shared cache, invalidated by a generation, not by expiry.

Every staff change to what these pages show (articles, references, topics, symptoms, the practice
record) bumps one generation number; cached pages and ETags carry it, so the very next request
renders afresh. The state also records when the next scheduled article goes live: cached pages
never outlive that moment, so a scheduled article appears on time, cache or not.

Views opt in with @cache_public_page, which marks a response as shareable only if it holds no
per-visitor content (no CSRF token, no CSP nonce, no cookie). PublicPageCacheMiddleware, the
outermost middleware, stores marked pages with their headers and serves them back before any
other middleware runs. A hit needs no Redis round trip: each process keeps the pages it has
served and the generation, which Redis's key tracking invalidates the moment staff change it.
"""

import datetime
import functools
import hashlib
import logging
import math
import time
from collections import OrderedDict

import redis
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import empty

from clinic.cache import REDIS_DOWN, set_tracked, tracked_key

logger = logging.getLogger(__name__)

STATE_KEY = "education:pages:state"
PAGE_TIMEOUT = 24 * 3600
CACHED_PREFIX = "/education/"
# The practice's own public pages (clinic) opt in too; their views are wrapped in clinic/urls.py.
CACHED_PATHS = frozenset(
    {
        "/",
        "/visit/",
        "/privacy/",
        "/accessibility/",
        "/language-assistance/",
        "/nondiscrimination/",
    }
)
# Response headers kept with a cached page and replayed on a hit: those of the page itself and
# those the security, CSP and clickjacking middleware add. Never cookies, Vary or the ETag.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Language",
    "Cache-Control",
    "X-Robots-Tag",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
)


@functools.cache
def _deployment_tag():
    # Hashed static names change with each deploy's CSS, so old pages never point at gone files.
    return hashlib.sha1(
        (static("css/site.css") + static("css/education.css")).encode()
    ).hexdigest()[:8]


def _new_state():
    from .models import Article

    next_publish = Article.objects.next_scheduled_publish_at()
    return {
        "generation": f"{time.time_ns():x}",
        "next_publish": next_publish.timestamp() if next_publish else None,
    }


def bump_generation():
    """Make every cached education page stale; called on any change to what they show."""

    def bump():
        set_tracked(STATE_KEY, _new_state())

    bump()
    # Again once committed: a page rendered from the old rows between save and commit must not
    # be stored under the new generation.
    transaction.on_commit(bump)


def _fresh(state):
    return state is not None and not (
        state["next_publish"] and state["next_publish"] <= time.time()
    )


def current_state():
    """The cache state, or None while the cache is unreachable (then nothing is cached)."""
    state = cache.get(STATE_KEY)
    if not _fresh(state):
        # First use, eviction, or a scheduled article has just gone live.
        try:
            state = _new_state()
        except DatabaseError:
            # The view will meet the outage too and answer it (503); nothing to cache.
            return None
        if not set_tracked(STATE_KEY, state):
            return None
    return state


def _seconds_to_boston_midnight():
    today = timezone.localdate()
    midnight = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
    )
    return (midnight - timezone.now()).total_seconds()


def _timeout(state, longest=PAGE_TIMEOUT):
    # Every page's footer lists upcoming closures, which change at midnight without any edit.
    longest = min(longest, math.ceil(_seconds_to_boston_midnight()))
    if state["next_publish"]:
        return max(1, min(longest, math.ceil(state["next_publish"] - time.time())))
    return max(1, longest)


def _is_shareable(request, response):
    nonce = getattr(request, "_csp_nonce", None)
    nonce_used = nonce is not None and nonce._wrapped is not empty
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not nonce_used
    )


def cache_public_page(view=None, *, timeout=PAGE_TIMEOUT):
    """Let PublicPageCacheMiddleware share this view's pages between visitors.

    `timeout` bounds how long an unchanged page is kept (pages are invalidated on any edit
    regardless); keep it short for pages with endless URLs, such as search results.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            response.is_public_page = _is_shareable(request, response)
            response.public_page_timeout = timeout
            return response

        return wrapped

    return decorator if view is None else decorator(view)


class _LocalPages:
    """This process's copies of cached pages, so a hit reads nothing from Redis.

    Bounded by total size; Redis keeps the shared copy every worker can start from.
    """

    max_bytes = 16 * 1024 * 1024

    def __init__(self):
        self.pages = OrderedDict()
        self.bytes = 0

    def get(self, key, generation):
        page = self.pages.get(key)
        if page is None or page["generation"] != generation:
            return None
        if page["expires_at"] <= time.time():
            # Redis has let its copy go (midnight, a short-lived search page): so do we.
            del self.pages[key]
            self.bytes -= len(page["content"])
            return None
        self.pages.move_to_end(key)
        return page

    def put(self, key, page):
        if key in self.pages:
            self.bytes -= len(self.pages.pop(key)["content"])
        self.pages[key] = page
        self.bytes += len(page["content"])
        while self.bytes > self.max_bytes and self.pages:
            self.bytes -= len(self.pages.popitem(last=False)[1]["content"])


local_pages = _LocalPages()


def _read_state():
    """The state, usually without a Redis round trip (see clinic.cache.TrackedKey)."""
    backend_client = getattr(cache, "_cache", None)
    if not hasattr(backend_client, "get_client"):
        return cache.get(STATE_KEY)
    tracked = tracked_key(backend_client, cache.make_key(STATE_KEY))
    try:
        return tracked.get()
    except REDIS_DOWN:
        return None
    except redis.RedisError:
        # Anything else Redis refuses (an old server, an ACL): serve pages uncached.
        logger.exception("Could not read the page cache's generation")
        return None


class PublicPageCacheMiddleware:
    """The outermost middleware: a hit is answered before any other middleware runs.

    A miss goes through the whole stack; the page is stored with the headers the stack gave it
    (security, CSP without a nonce, framing), and a hit replays them. The cache key holds the
    scheme and host, so a plain-http request (which SecurityMiddleware redirects, uncached)
    never meets an https page, and a host outside ALLOWED_HOSTS is refused as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not (
            request.path.startswith(CACHED_PREFIX) or request.path in CACHED_PATHS
        ):
            return self.get_response(request)
        # The Host header as sent: a host outside ALLOWED_HOSTS is refused (400) by the stack
        # below on the miss, so no page is ever stored under one.
        url = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
        digest = hashlib.sha1(f"{_deployment_tag()}:{url}".encode()).hexdigest()
        # v2: pages carry their expiry and the security headers (pages stored by an older
        # release have neither, so they are never read).
        page_key = f"education:page:v2:{digest}"
        state = _read_state()
        if not _fresh(state):
            state = current_state()
            if state is None:
                return self.get_response(request)
        generation = state["generation"]
        # The Boston date is part of the ETag: a page kept by a browser since yesterday may list
        # a closure that has ended, so it must not be confirmed with a 304.
        etag = f'"{generation}-{timezone.localdate():%Y%m%d}-{digest[:12]}"'
        page = local_pages.get(page_key, generation)
        if page is None:
            page = cache.get(page_key)
            if page is not None and page["generation"] == generation:
                local_pages.put(page_key, page)
            else:
                page = None
        not_modified = get_conditional_response(request, etag=etag)
        if page is None:
            return self._render_and_store(request, state, page_key, etag, not_modified)
        if not_modified is not None:
            return self._with_page_headers(not_modified, page, etag)
        response = HttpResponse(page["content"], headers=page["headers"])
        response["X-Cache"] = "hit"
        response["ETag"] = etag
        return response

    def _render_and_store(self, request, state, page_key, etag, not_modified):
        response = self.get_response(request)
        if not getattr(response, "is_public_page", False):
            return response
        # Browsers keep the page but ask each time: a staff edit shows at once, a 304 otherwise.
        patch_cache_control(response, no_cache=True, public=True)
        timeout = _timeout(state, response.public_page_timeout)
        page = {
            # The generation read before rendering: if staff saved meanwhile, the next request
            # sees a newer one and renders again.
            "generation": state["generation"],
            "expires_at": time.time() + timeout,
            "content": response.content,
            "headers": {
                header: response[header]
                for header in KEPT_HEADERS
                if response.has_header(header)
            },
        }
        cache.set(page_key, page, timeout)
        local_pages.put(page_key, page)
        if not_modified is not None:
            # The browser's copy is still current (its ETag names this generation).
            return self._with_page_headers(not_modified, page, etag)
        response["X-Cache"] = "miss"
        response["ETag"] = etag
        return response

    @staticmethod
    def _with_page_headers(not_modified, page, etag):
        # A 304 carries the headers a 200 would, less the body's own (RFC 9110 15.4.5).
        for header, value in page["headers"].items():
            if header not in ("Content-Type", "Content-Length"):
                not_modified[header] = value
        not_modified["ETag"] = etag
        return not_modified
