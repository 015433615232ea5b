"""A Redis key's value kept in this process and kept fresh by Redis's key tracking (real Redis).

The page cache reads its generation through clinic.cache.TrackedKey on every request: a staff
edit must show on the very next read, with no round trip to Redis while nothing has changed.
"""

import os
import subprocess
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

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


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own (a cache backend on it), free to pause and kill."""
    from tests.support.processes import free_port

    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    backend = RedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            backend._cache.get_client(write=True).ping()
            break
        except REDIS_DOWN:
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield backend
    server.kill()
    server.wait()


def test_an_unchanged_value_is_answered_without_asking_redis(private_redis):
    tracked = TrackedKey(private_redis._cache, private_redis.make_key(NAME))
    private_redis.set(NAME, "current")
    assert tracked.get() == "current"
    # While Redis holds every client's commands, a GET would wait out the 0.5 s socket timeout
    # and raise; the tracked value needs no command at all.
    private_redis._cache.get_client(write=True).execute_command(
        "CLIENT", "PAUSE", 10_000, "ALL"
    )
    paused_until = time.monotonic() + 10
    reads = [tracked.get() for _ in range(100)]
    assert (reads, time.monotonic() < paused_until) == (["current"] * 100, True)


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


@pytest.fixture
def redis_user_without_client_commands():
    """A real Redis user whose ACL denies CLIENT commands, as some managed services do."""
    name = f"no-client-{os.getpid()}"
    redis().execute_command(
        "ACL", "SETUSER", name, "on", "nopass", "~*", "&*", "+@all", "-client"
    )
    yield name
    redis().execute_command("ACL", "DELUSER", name)


def test_without_tracking_rights_every_read_asks_redis(
    settings, redis_user_without_client_commands, caplog
):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://{redis_user_without_client_commands}@127.0.0.1:6379/0",
        }
    }
    tracked = TrackedKey(cache._cache, cache.make_key(NAME))
    cache.set(NAME, "first")
    assert tracked.get() == "first"
    # A plain set: with no tracking, nothing could be told, so the read itself must ask.
    cache.set(NAME, "second")
    assert tracked.get() == "second"
    assert "Redis refused key tracking" in caplog.text
    tracked._connection.disconnect()
