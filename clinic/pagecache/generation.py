"""The generation every cached page carries, and how long a page may be kept.

One generation number stands for "what the public pages show"; every staff change bumps it, and
pages stored under an older one are never served again. The state also records the next
scheduled change (an article going live): no page outlives it, nor the Boston midnight after
which its footer's list of upcoming closures is out of date.

Content that changes without a save reaches the state through a hook rather than an import:
an app hands add_next_change() a callable saying when its next such change is due (education
gives Article.objects.next_scheduled_publish_at, from education/signals.py). The state asks
every callable each time it is made, so a new schedule counts from the save that set it.
"""

import datetime
import logging
import math
import time

import redis
from django.core.cache import cache, caches
from django.db import DatabaseError, transaction
from django.utils import timezone

from clinic import calendar

from .backend import REDIS_DOWN
from .tracking import set_tracked, tracked_key

logger = logging.getLogger(__name__)

STATE_KEY = "pagecache:state"
PAGE_TIMEOUT = 24 * 3600

_next_change_sources = []


def add_next_change(source):
    """Let no cached page outlive `source()`: the next moment pages change without a save.

    `source` takes no arguments and returns an aware datetime, or None when nothing is due.
    """
    if source not in _next_change_sources:
        _next_change_sources.append(source)


def _new_state():
    moments = [
        moment for source in _next_change_sources if (moment := source()) is not None
    ]
    return {
        "generation": f"{time.time_ns():x}",
        "next_change": min(moments).timestamp() if moments else None,
    }


def bump_generation():
    """Make every cached page stale; called on any change to what they show."""

    def bump():
        if not set_tracked(STATE_KEY, _new_state()):
            # Redis refused the write (out of memory, say): pages stored under the old
            # generation must not outlive the edit. DEL is allowed even at the memory cap; with
            # no state, pages are served uncached until a new one can be stored.
            cache.delete(STATE_KEY)

    bump()
    # Again once committed: a page rendered from the old rows between save and commit must not
    # be stored under the new generation.
    transaction.on_commit(bump)


def is_fresh(state):
    return state is not None and not (
        state["next_change"] and state["next_change"] <= time.time()
    )


def current_state():
    """The cache state, or None while the cache is unreachable (then nothing is cached)."""
    state = cache.get(STATE_KEY)
    if not is_fresh(state):
        # First use, eviction, or a scheduled change (an article going live) has come.
        try:
            state = _new_state()
        except DatabaseError:
            # The view will meet the outage too and answer it (503); nothing to cache.
            return None
        if not set_tracked(STATE_KEY, state):
            return None
    return state


# (cache backend, its TrackedKey for the state): read_state() runs on every request, and finding
# the key again each time (the backend's key function, the registry's lock) doubled its cost.
_state_reader = (None, None)


def read_state():
    """The state, usually without a Redis round trip (see tracking.TrackedKey)."""
    global _state_reader
    backend = caches["default"]
    reader_backend, tracked = _state_reader
    if reader_backend is not backend:
        backend_client = getattr(backend, "_cache", None)
        tracked = None
        if hasattr(backend_client, "get_client"):
            tracked = tracked_key(backend_client, backend.make_key(STATE_KEY))
        _state_reader = (backend, tracked)
    if tracked is None:
        return backend.get(STATE_KEY)
    try:
        return tracked.get()
    except REDIS_DOWN:
        return None
    except redis.RedisError:
        # Anything else Redis refuses (an old server, an ACL): serve pages uncached.
        logger.exception("Could not read the page cache's generation")
        return None


def _seconds_to_boston_midnight():
    midnight = calendar.day_start(timezone.localdate() + datetime.timedelta(days=1))
    return (midnight - timezone.now()).total_seconds()


def page_timeout(state, longest=PAGE_TIMEOUT):
    """Seconds a page rendered under `state` may be kept, at most `longest`."""
    # Every page's footer lists upcoming closures, which change at midnight without any edit.
    longest = min(longest, math.ceil(_seconds_to_boston_midnight()))
    if state["next_change"]:
        return max(1, min(longest, math.ceil(state["next_change"] - time.time())))
    return max(1, longest)
