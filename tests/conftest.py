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
def _clear_cache():
    # Tests share Redis; start each from an empty cache so cached pages never leak between them.
    from django.core.cache import cache

    cache.clear()
    yield
