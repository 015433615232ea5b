"""The page cache's mechanism (clinic.pagecache), against real Redis, PostgreSQL and gunicorn.

What a hit replays (headers, 304s) and to whom (host, scheme); which pages are cached at all;
how long a page lives (Boston midnight, a view's own timeout); how the generation reaches every
process at once (TrackedKey, real gunicorn workers); and that a Redis outage only slows pages.
What an app's edits do to its pages is tested with the app (tests/education/test_cached_pages.py,
tests/clinic/test_signals.py).
"""

import datetime
import os
import subprocess
import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.pagecache.backend import REDIS_DOWN
from clinic.pagecache.generation import page_timeout
from clinic.pagecache.tracking import TrackedKey, delete_tracked, set_tracked
from tests.factories import make_article
from tests.support.processes import free_port, gunicorn_server

pytestmark = pytest.mark.django_db


def get(client, article, **headers):
    return client.get(article.get_absolute_url(), headers=headers)


# --- Hits: what they replay, and to whom ------------------------------------------------------


def test_second_visit_is_served_from_the_cache_without_queries(client, practice):
    article = make_article(title="Burning feet")
    first = get(client, article)
    with CaptureQueriesContext(connection) as queries:
        second = get(client, article)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert list(queries) == []


def test_a_hit_carries_every_header_the_page_was_rendered_with(client, practice):
    article = make_article()
    miss, hit = get(client, article), get(client, article)
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    headers = {name: value for name, value in miss.items() if name != "X-Cache"}
    assert {name: value for name, value in hit.items() if name != "X-Cache"} == headers
    # The security middleware's headers among them, though it does not run on a hit.
    assert (hit["X-Content-Type-Options"], hit["Referrer-Policy"]) == (
        "nosniff",
        "same-origin",
    )
    assert "default-src 'self'" in hit["Content-Security-Policy"]


def test_cached_pages_carry_no_nonce_or_csrf_token_and_keep_the_csp_header(
    client, practice
):
    article = make_article()
    get(client, article)
    hit = get(client, article)
    html = hit.content.decode()
    assert hit["X-Cache"] == "hit"
    assert "nonce" not in html and "csrfmiddlewaretoken" not in html
    assert "default-src 'self'" in hit["Content-Security-Policy"]
    assert (hit["X-Frame-Options"], hit["Content-Type"]) == (
        "DENY",
        "text/html; charset=utf-8",
    )
    assert "csrftoken" not in hit.cookies


def test_a_signed_in_staff_members_visit_never_hands_their_session_to_patients(
    admin_client, client, practice, settings
):
    article = make_article()
    staff_visit = get(admin_client, article)
    assert staff_visit["X-Cache"] == "miss"
    assert (
        settings.SESSION_COOKIE_NAME in staff_visit.cookies
    )  # refreshed every request
    patient_visit = get(client, article)
    assert patient_visit["X-Cache"] == "hit"
    assert patient_visit.content == staff_visit.content
    assert dict(patient_visit.cookies) == {}


def test_conditional_get_answers_304_until_something_changes(client, practice):
    article = make_article()
    etag = get(client, article)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        not_modified = get(client, article, if_none_match=etag)
    assert (not_modified.status_code, not_modified.content, list(queries)) == (
        304,
        b"",
        [],
    )

    article.summary = "Updated advice."
    article.save()
    changed = get(client, article, if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Updated advice." in changed.content.decode()


def test_a_304_keeps_the_pages_caching_and_security_headers(client, practice):
    article = make_article()
    page = get(client, article)
    not_modified = get(client, article, if_none_match=page["ETag"])
    assert not_modified.status_code == 304
    for header in (
        "ETag",
        "Cache-Control",
        "Content-Security-Policy",
        "X-Frame-Options",
    ):
        assert not_modified[header] == page[header]


def test_a_cached_page_is_refused_to_a_host_the_site_does_not_serve(client, practice):
    article = make_article()
    get(client, article)
    assert get(client, article)["X-Cache"] == "hit"
    response = client.get(article.get_absolute_url(), headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "X-Cache" not in response


def test_a_cached_https_page_still_redirects_plain_http(client, practice, settings):
    settings.SECURE_SSL_REDIRECT = True
    article = make_article()
    url = article.get_absolute_url()
    client.get(url, secure=True)
    assert client.get(url, secure=True)["X-Cache"] == "hit"
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (
        301,
        f"https://testserver{url}",
    )


def test_a_view_marked_cache_public_page_is_shared_wherever_its_route_is(
    client, settings
):
    # A page joins the cache by its decorator alone: nothing lists its path.
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    for url in ("/language-help/", "/notes/burning-feet/", "/notes/numb-toes/"):
        first, second = client.get(url), client.get(url)
        assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit"), url
        assert second.content == first.content
    first, second = client.get("/unmarked/"), client.get("/unmarked/")
    assert "X-Cache" not in first and "X-Cache" not in second
    assert second.content != first.content


# --- Keys: the path and the parameters the view reads, nothing else --------------------------


def stored_pages():
    return sorted(redis().scan_iter(match=cache.make_key("pagecache:page:*")))


def test_junk_query_strings_are_served_the_canonical_page_and_never_stored(
    client, practice
):
    article = make_article(title="Burning feet")
    url = article.get_absolute_url()
    canonical = client.get(url)
    stored = stored_pages()
    junk = [
        client.get(f"{url}?utm_source=mail{n}&fbclid={n}&q=x{n}") for n in range(40)
    ]
    assert [response["X-Cache"] for response in junk] == ["hit"] * 40
    assert {response.content for response in junk} == {canonical.content}
    # Forty made-up query strings, and Redis holds the one page it held before.
    assert (len(stored), stored_pages()) == (1, stored)


def test_each_value_of_a_parameter_the_view_reads_is_its_own_page(client, settings):
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    first = client.get("/listing/?page=2&sort=name")
    same = client.get("/listing/?sort=name&utm_source=x&page=2")
    other = client.get("/listing/?page=3&sort=name")
    assert (first["X-Cache"], same["X-Cache"], other["X-Cache"]) == (
        "miss",
        "hit",
        "miss",
    )
    assert same.content == first.content
    assert "[('page', ['3']), ('sort', ['name'])]" in other.content.decode()


def test_a_view_sees_only_the_parameters_it_declared(client, settings):
    # What the view cannot see cannot change its page: a parameter it reads but forgot to
    # declare shows up as missing at once, not as somebody else's cached page.
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    body = client.get("/listing/?page=2&secret=1&sort=a").content.decode()
    assert "[('page', ['2']), ('sort', ['a'])]" in body
    body = client.get("/language-help/?page=2").content.decode()
    assert "Rendered at" in body


def test_under_one_prefix_each_view_is_stored_only_under_its_own_parameters(
    client, settings
):
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    # /shelf/<slug>/ reads nothing, /shelf/<slug>/pages/ reads ?page=.
    item = [client.get("/shelf/socks/") for _ in range(2)]
    junk = [client.get(f"/shelf/socks/?page={n}") for n in range(3)]
    pages = [client.get("/shelf/socks/pages/?page=2") for _ in range(2)]
    assert [response["X-Cache"] for response in item] == ["miss", "hit"]
    # The item's page carries ?page=, which its view ignores: served, never stored.
    assert all("X-Cache" not in response for response in junk[1:])
    assert [response["X-Cache"] for response in pages] == ["miss", "hit"]


@pytest.mark.parametrize(
    "url", ["/own/cookie/", "/own/session/", "/own/user/", "/own/csrf/", "/own/nonce/"]
)
def test_a_page_that_is_the_visitors_own_is_never_stored(client, settings, url):
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    responses = [client.get(url) for _ in range(2)]
    assert [response.status_code for response in responses] == [200, 200]
    assert ["X-Cache" in response for response in responses] == [False, False]
    assert stored_pages() == []


def test_a_page_showing_the_visitors_messages_is_never_stored(client, settings):
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    # A message waiting for this visitor (as after an admin action), shown by the page.
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    request = HttpRequest()
    storage = CookieStorage(request)
    storage.add(20, "Saved.")
    response = HttpResponse()
    storage.update(response)
    client.cookies.update(response.cookies)

    shown = client.get("/own/messages/")
    assert "Saved." in shown.content.decode()
    assert "X-Cache" not in shown
    assert stored_pages() == []


# --- Expiry: no page outlives its day or its view's timeout -----------------------------------


def test_cached_pages_never_outlive_the_boston_day_their_closures_were_listed_on():
    # Footers list upcoming closures, which change at midnight without any staff edit.
    midnight = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=1), datetime.time.min
        )
    )
    seconds_left = (midnight - timezone.now()).total_seconds()
    assert 1 <= page_timeout({"next_change": None}) <= seconds_left + 1


def test_no_process_keeps_serving_a_page_after_its_time(client, settings):
    # Pages end at midnight (footers list closures) and search pages after ten minutes; this
    # page is kept for one second.
    settings.ROOT_URLCONF = "tests.clinic.pagecache_urls"
    first, second = client.get("/brief/"), client.get("/brief/")
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    time.sleep(1.1)
    third = client.get("/brief/")
    assert third["X-Cache"] == "miss" and third.content != first.content


# --- The generation, in every process at once (Redis key tracking) ----------------------------


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
    delete_tracked(NAME)
    assert tracked.get() is None


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own (a cache backend on it), free to pause and kill."""
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


@pytest.mark.django_db(transaction=True)
def test_each_edit_shows_on_the_very_next_request_to_every_app_server_process(
    practice, settings, tmp_path
):
    """Real gunicorn workers keep their own copies of pages; an edit made in another process
    (here, the test) must reach all of them before anyone's next request, without waiting."""
    import urllib.request

    database = connection.settings_dict
    article = make_article(title="Burning feet")
    with gunicorn_server(
        tmp_path / "gunicorn.log",
        workers=3,
        DATABASE_URL=f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        SECRET_KEY=settings.SECRET_KEY,
    ) as server:

        def visit():
            with urllib.request.urlopen(server + article.get_absolute_url()) as page:
                return page.headers["X-Cache"], page.read().decode()

        # Warm every worker: the later requests are hits, whichever worker answers.
        warm = [visit()[0] for _ in range(30)]
        assert warm[-10:] == ["hit"] * 10
        for edit in range(1, 6):
            article.title = f"Burning feet, revision {edit}"
            article.save()
            seen = [visit() for _ in range(6)]
            assert all(f"revision {edit}</h1>" in body for _, body in seen), edit
            assert seen[0][0] == "miss" and seen[-1][0] == "hit"


# --- Fail-open: a Redis outage or refusal slows pages, never breaks them ----------------------


def test_pages_are_served_uncached_while_redis_is_down(client, practice, settings):
    article = make_article(title="Burning feet")
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.pagecache.backend.FailOpenRedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    first, second = get(client, article), get(client, article)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Burning feet" in second.content.decode()
    assert "X-Cache" not in second and "ETag" not in second


def test_an_unreachable_redis_raises_as_a_get_would(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.pagecache.backend.FailOpenRedisCache",
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


# --- Layering ---------------------------------------------------------------------------------
