"""Redis at its memory cap, on real redis-servers started by the tests.

A Redis that refuses writes for lack of memory is an outage like a Redis that is down: pages are
served (uncached), staff edits save and show, and the patient forms' limits fail open. The
compose file gives pages a capped Redis that evicts and the rate-limit counters one that never
does, so no flood of pages can push out a counter.
"""

import json
import re
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache

from appointments.models import ContactMessage
from tests.factories import contact_message_data, make_article
from tests.support.processes import RedisServer

pytestmark = pytest.mark.django_db

COMPOSE_FILE = Path(django_settings.BASE_DIR) / "docker-compose.yml"
BLOB = b"x" * 256 * 1024


def compose_command(service):
    """The redis-server options a compose service runs with (its `command:` line)."""
    text = COMPOSE_FILE.read_text()
    block = re.search(rf"^  {re.escape(service)}:\n((?:    .*\n|\s*\n)+)", text, re.M)
    line = re.search(r"^    command: (\[.*\])$", block.group(1), re.M).group(1)
    argv = json.loads(line)
    assert argv[0] == "redis-server"
    return argv[1:]


def with_small_cap(options, cap="4mb"):
    """The same options with a memory cap a test can reach in a fraction of a second."""
    options = list(options)
    options[options.index("--maxmemory") + 1] = cap
    return options


def run_out_of_memory(server):
    """Bring the server past its memory cap, so that it refuses every write from now on.

    Filling it with values leaves the exact moment to Redis's memory accounting (a client's
    buffers count too, so a small write may slip in after a big one was refused); lowering
    the cap below what it holds is the same state, reached at once.
    """
    client = redis.Redis.from_url(server.url)
    client.set("filler", BLOB)
    client.config_set("maxmemory", 1)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        client.set("one-more", b"x")


@pytest.fixture
def full_redis(tmp_path, settings):
    """The site's caches on a Redis with no eviction (run_out_of_memory fills it)."""
    with RedisServer(
        tmp_path, options=["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"]
    ) as server:
        settings.CACHES = {
            "default": server.cache_settings(),
            "ratelimit": server.cache_settings(),
        }
        yield server


def test_out_of_memory_pages_are_served_and_every_edit_shows_at_once(
    client, practice, full_redis
):
    article = make_article(title="Burning feet")
    url = article.get_absolute_url()
    assert client.get(url).status_code == 200
    assert client.get(url)["X-Cache"] == "hit"

    run_out_of_memory(full_redis)
    article.title = "Burning feet at night"
    article.save()  # the generation cannot be stored: the page must not stay as it was
    pages = [client.get(url) for _ in range(2)]

    assert [page.status_code for page in pages] == [200, 200]
    assert all("Burning feet at night</h1>" in page.content.decode() for page in pages)


def test_out_of_memory_the_patient_forms_still_take_requests(
    client, practice, full_redis
):
    run_out_of_memory(full_redis)
    response = client.post("/contact/", contact_message_data())
    assert (response.status_code, response["Location"]) == (303, "/contact/received/")
    assert ContactMessage.objects.count() == 1


def test_compose_gives_pages_an_evicting_redis_and_counters_one_that_never_evicts():
    pages, counters = compose_command("redis"), compose_command("redis-counters")
    policy = "--maxmemory-policy"
    assert (pages[pages.index(policy) + 1], counters[counters.index(policy) + 1]) == (
        "allkeys-lru",
        "noeviction",
    )
    environment = COMPOSE_FILE.read_text()
    assert "CACHE_URL: redis://redis:6379/0" in environment
    assert "RATELIMIT_CACHE_URL: redis://redis-counters:6379/0" in environment


def test_with_the_compose_redis_settings_a_flood_of_pages_never_evicts_a_counter(
    client, practice, settings, tmp_path
):
    with (
        RedisServer(
            tmp_path / "pages", options=with_small_cap(compose_command("redis"))
        ) as pages,
        RedisServer(
            tmp_path / "counters",
            options=with_small_cap(compose_command("redis-counters")),
        ) as counters,
    ):
        settings.CACHES = {
            "default": pages.cache_settings(),
            "ratelimit": counters.cache_settings(),
        }
        counters_client = redis.Redis.from_url(counters.url)
        sent = [
            client.post("/contact/", contact_message_data()).status_code
            for _ in range(3)
        ]
        counts = {key: counters_client.get(key) for key in counters_client.keys("*")}

        # Far more pages than the pages' Redis holds: it evicts, and keeps serving.
        for number in range(60):
            cache.set(f"pagecache:page:flood-{number}", BLOB)
        pages_client = redis.Redis.from_url(pages.url)
        memory, stats = pages_client.info("memory"), pages_client.info("stats")

        after = {key: counters_client.get(key) for key in counters_client.keys("*")}
    assert sent == [303, 303, 303]
    assert (memory["used_memory"] <= 4 * 1024 * 1024, stats["evicted_keys"] > 0) == (
        True,
        True,
    )
    # Every count the limits rely on is still there, unchanged: no limit was reset.
    assert len(counts) >= 2 and after == counts
