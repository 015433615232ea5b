"""A Redis key's value kept in this process and kept fresh by Redis's key tracking (real Redis).

The page cache reads its generation through clinic.cache.TrackedKey on every request: a staff
edit must show on the very next read, with no round trip to Redis while nothing has changed.
"""

import os
import time

import pytest
from django.core.cache import cache

from clinic.cache import REDIS_DOWN, TrackedKey, set_tracked

NAME = "tracked-key-test"


@pytest.fixture
def tracked():
    key = TrackedKey(cache._cache, cache.make_key(NAME))
    yield key
    key._connection.disconnect()


def redis():
    return cache._cache.get_client(write=True)


def test_every_write_by_another_client_is_seen_by_the_very_next_read(tracked):
    assert tracked.get() is None
    for generation in range(5000):
        # As the page cache bumps its generation (a plain cache.set can return before Redis
        # has sent the invalidation; this loop catches that).
        set_tracked(NAME, {"generation": generation})
        assert tracked.get() == {"generation": generation}
    cache.delete(NAME)
    assert tracked.get() is None


def test_an_unchanged_value_is_answered_without_asking_redis(tracked):
    cache.set(NAME, "current")
    assert tracked.get() == "current"
    # While Redis holds every client's commands (longer than the 0.5 s socket timeout), a GET
    # would time out and raise; the tracked value needs no command at all. The pause lifts
    # itself: an UNPAUSE would be held too.
    redis().execute_command("CLIENT", "PAUSE", 800, "ALL")
    paused_until = time.monotonic() + 0.8
    try:
        reads = [tracked.get() for _ in range(100)]
        assert (reads, time.monotonic() < paused_until) == (["current"] * 100, True)
    finally:
        time.sleep(max(0.0, paused_until - time.monotonic()) + 0.05)


def test_a_write_made_while_the_connection_was_cut_is_seen_after_it(tracked):
    cache.set(NAME, "before")
    assert tracked.get() == "before"
    ours = [
        client["id"]
        for client in redis().client_list()
        if client["name"] == f"tracked-key-{os.getpid()}"
    ]
    assert ours
    for client_id in ours:
        redis().client_kill_filter(_id=client_id)
    # The invalidation for this write has no connection to travel on.
    set_tracked(NAME, "after")
    assert tracked.get() == "after"


def test_an_unreachable_redis_raises_as_a_get_would(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.cache.FailOpenRedisCache",
            # Nothing listens on port 1.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    tracked = TrackedKey(cache._cache, cache.make_key(NAME))
    with pytest.raises(REDIS_DOWN):
        tracked.get()
