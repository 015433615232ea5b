"""Rendered public education pages in the shared cache, invalidated by a generation, not by expiry.

Every staff change to what these pages show (articles, references, topics, symptoms, the practice
record) bumps one generation number; page keys and ETags include it, so the very next request
renders afresh. The state also records when the next scheduled article goes live: cached pages
never outlive that moment, so a scheduled article appears on time, cache or not.

Only pages without per-visitor content are stored: a response that used a CSRF token, set a
cookie or used the CSP nonce is served but never cached.
"""

import hashlib
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import empty

STATE_KEY = "education:pages:state"
PAGE_TIMEOUT = 24 * 3600


def _deployment_tag():
    # Hashed static names change with each deploy's CSS, so old pages never point at gone files.
    return hashlib.sha1(
        (static("css/site.css") + static("css/education.css")).encode()
    ).hexdigest()[:8]


def _new_state(now):
    from .models import Article

    next_publish = Article.objects.next_scheduled_publish_at()
    return {
        "generation": f"{time.time_ns():x}",
        "next_publish": next_publish.timestamp() if next_publish else None,
    }


def bump_generation():
    """Make every cached education page stale; called on any change to what they show."""

    def bump():
        cache.set(STATE_KEY, _new_state(time.time()), None)

    bump()
    # Again once committed: a page rendered from the old rows between save and commit must not
    # be stored under the new generation.
    transaction.on_commit(bump)


def current_state():
    """The cache state, or None while the cache is unreachable (then nothing is cached)."""
    now = time.time()
    state = cache.get(STATE_KEY)
    if state is None or (state["next_publish"] and state["next_publish"] <= now):
        # First use, eviction, or a scheduled article has just gone live.
        state = _new_state(now)
        cache.set(STATE_KEY, state, None)
        if cache.get(STATE_KEY) is None:
            return None
    return state


def _timeout(state):
    if state["next_publish"]:
        return max(1, min(PAGE_TIMEOUT, math.ceil(state["next_publish"] - time.time())))
    return PAGE_TIMEOUT


def _is_shareable(request, response):
    nonce = getattr(request, "_csp_nonce", None)
    nonce_used = nonce is not None and nonce._wrapped is not empty
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not nonce_used
        and not response.has_header("Vary")
    )


def cache_public_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        state = current_state()
        if state is None:
            return view(request, *args, **kwargs)
        url = request.build_absolute_uri()
        digest = hashlib.sha1(
            f"{_deployment_tag()}:{settings.DEBUG}:{url}".encode()
        ).hexdigest()
        etag = f'"{state["generation"]}-{digest[:12]}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return not_modified
        key = f"education:page:{state['generation']}:{digest}"
        cached = cache.get(key)
        if cached is not None:
            response = HttpResponse(cached["content"], content_type=cached["type"])
            response["X-Cache"] = "hit"
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if not _is_shareable(request, response):
                return response
            cache.set(
                key,
                {"content": response.content, "type": response["Content-Type"]},
                _timeout(state),
            )
            response["X-Cache"] = "miss"
        response["ETag"] = etag
        # Browsers keep the page but ask again each time, so a staff edit shows at once (304 if not).
        patch_cache_control(response, no_cache=True, public=True)
        return response

    return wrapped
