import pytest

from clinic.models import Practice


@pytest.fixture
def practice(db):
    """The practice record as the seed gives it (hours, email and closures left empty)."""
    from clinic.seed import SEED_FILE, parse_contact_block

    return Practice.objects.create(
        **parse_contact_block(SEED_FILE.read_text(encoding="utf-8"))
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start each test from an empty cache, so cached pages and counters never leak between tests.

    Only this run's keys are deleted: other test runs and the dev site may share the Redis server.
    """
    from django.core.cache import cache

    client_factory = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_factory is None:
        cache.clear()
    else:
        client = client_factory(write=True)
        for key in client.scan_iter(match=f"{cache.key_prefix}:*", count=1000):
            client.delete(key)
    yield
