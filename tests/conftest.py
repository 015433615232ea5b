import pytest
from django.test import Client, override_settings

from clinic.models import Practice
from tests.factories import login_verified
from tests.support.processes import free_port, gunicorn_server


@pytest.fixture
def practice(db):
    """The practice record as the seed gives it (hours, email and closures left empty)."""
    from clinic.seed import SEED_FILE, parse_contact_block

    return Practice.objects.create(
        **parse_contact_block(SEED_FILE.read_text(encoding="utf-8"))
    )


@pytest.fixture
def taglines(db):
    """The seed's language-assistance taglines, in their order on the page."""
    import io

    from clinic.models import Tagline
    from clinic.seed import load_taglines

    load_taglines(io.StringIO())
    return list(Tagline.objects.all())


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


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Argon2 takes ~0.1 s per hash by design; tests hash with MD5 except test_admin_security's."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in with a verified authenticator device (2FA)."""
    return login_verified(client, admin_user)


@pytest.fixture
def staff_client(db):
    """staff_client(user): a new test client signed in as `user` with two-factor verified."""
    return lambda user: login_verified(Client(), user)


@pytest.fixture(scope="session")
def database_down_server(tmp_path_factory):
    """The real site under gunicorn whose database is unreachable (a closed port): base URL.

    No mocks: the server tries to connect, is refused, and must answer as it would in an outage.
    """
    with gunicorn_server(
        tmp_path_factory.mktemp("outage") / "gunicorn.log",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/clinic",
        CACHE_URL="",
    ) as server:
        yield server
