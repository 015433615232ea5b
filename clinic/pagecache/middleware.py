"""PublicPageCacheMiddleware: stores the pages views marked shareable, and serves them back.

It is the outermost middleware, so a hit is answered before any other middleware runs; each
process keeps its own copies of the pages it has served, so a hit reads nothing from Redis.
"""

import functools
import hashlib
import time
from collections import OrderedDict
from urllib.parse import urlencode

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from clinic import calendar

from .decorators import public_page_paths
from .generation import current_state, is_fresh, page_timeout, read_state

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

# What makes a request conditional (RFC 9110 13.1): only then can the answer be a 304 or 412.
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
)


@functools.cache
def _deployment_tag():
    # The manifest's hash changes with any static file a deploy changes, so that pages stored
    # before it never point at stylesheets that are gone ("" without a manifest, as in DEBUG).
    return getattr(staticfiles_storage, "manifest_hash", "")


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


class PublicPageCacheMiddleware:
    """The outermost middleware: a hit is answered before any other middleware runs.

    A miss goes through the whole stack; the page is stored with the headers the stack gave it
    (security, CSP without a nonce, framing), and a hit replays them. The cache key holds the
    scheme and host, so a plain-http request (which SecurityMiddleware redirects, uncached)
    never meets an https page, and a host outside ALLOWED_HOSTS is refused as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The paths of views marked @cache_public_page and the parameters each reads, read once
        # from the URLconf: deciding whether and under what key a request may be cached never
        # resolves its URL.
        self.paths, self.prefixes = public_page_paths()

    def _parameters(self, path):
        """The query parameters the view at `path` reads, or None if it is not cached."""
        query = self.paths.get(path)
        if query is None:
            for prefix, prefix_query in self.prefixes:
                if path.startswith(prefix):
                    return prefix_query
        return query

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        parameters = self._parameters(request.path)
        if parameters is None:
            return self.get_response(request)
        # The path and only the parameters the view reads: junk such as ?utm_source=... is the
        # canonical page, so no client can fill the cache with made-up query strings.
        query, present = "", frozenset()
        if parameters:
            pairs = [
                (name, value)
                for name in parameters
                for value in request.GET.getlist(name)
            ]
            query, present = urlencode(pairs), frozenset(name for name, _ in pairs)
        # The Host header as sent: a host outside ALLOWED_HOSTS is refused (400) by the stack
        # below on the miss, so no page is ever stored under one.
        url = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.path}?{query}"
        digest = hashlib.sha1(f"{_deployment_tag()}:{url}".encode()).hexdigest()
        # Versioned, so that pages stored by an older release are never read: v2 added the
        # expiry and the security headers; v3 is the move to clinic.pagecache; v4 keys by the
        # declared parameters only.
        page_key = f"pagecache:page:v4:{digest}"
        state = read_state()
        if not is_fresh(state):
            state = current_state()
            if state is None:
                return self.get_response(request)
        generation = state["generation"]
        # The Boston date is part of the ETag: a page kept by a browser since yesterday may list
        # a closure that has ended, so it must not be confirmed with a 304.
        etag = f'"{generation}-{calendar.today():%Y%m%d}-{digest[:12]}"'
        page = local_pages.get(page_key, generation)
        if page is None:
            page = cache.get(page_key)
            if page is not None and page["generation"] == generation:
                local_pages.put(page_key, page)
            else:
                page = None
        not_modified = None
        if any(header in request.META for header in CONDITIONAL_HEADERS):
            # Most visits ask unconditionally: Django's parsing of absent headers is skipped.
            not_modified = get_conditional_response(request, etag=etag)
        if page is None:
            return self._render_and_store(
                request, state, page_key, etag, not_modified, parameters, present
            )
        if not_modified is not None:
            return self._with_page_headers(not_modified, page, etag)
        response = HttpResponse(page["content"], headers=page["headers"])
        response["X-Cache"] = "hit"
        response["ETag"] = etag
        return response

    def _render_and_store(
        self, request, state, page_key, etag, not_modified, parameters, present
    ):
        response = self.get_response(request)
        if not getattr(response, "is_public_page", False):
            return response
        reads = frozenset(response.public_page_query)
        if not reads <= frozenset(parameters) or present - reads:
            # Two views under one prefix read different parameters, and this request's key
            # holds a value the answering view ignores (or lacks one it reads): serve the page,
            # but never store it under a key that is not the view's own.
            return response
        # Browsers keep the page but ask each time: a staff edit shows at once, a 304 otherwise.
        patch_cache_control(response, no_cache=True, public=True)
        timeout = page_timeout(state, response.public_page_timeout)
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
