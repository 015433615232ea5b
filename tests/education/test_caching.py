import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from education.models import RelatedArticle, Symptom
from tests.factories import make_article, make_reference, make_topic

pytestmark = pytest.mark.django_db


def get(client, article, **headers):
    return client.get(article.get_absolute_url(), headers=headers)


def test_second_visit_is_served_from_the_cache_without_queries(client, practice):
    article = make_article(title="Burning feet")
    first = get(client, article)
    with CaptureQueriesContext(connection) as queries:
        second = get(client, article)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert list(queries) == []


@pytest.mark.parametrize(
    "edit",
    ["article", "reference", "topic", "symptom", "related", "practice"],
)
def test_any_staff_edit_shows_on_the_very_next_request(client, practice, edit):
    topic = make_topic(name="Nerve pain")
    article = make_article(title="Burning feet", topics=[topic])
    reference = make_reference(article)
    other = make_article(title="Numb toes")
    get(client, article)
    assert get(client, article)["X-Cache"] == "hit"

    if edit == "article":
        article.title, expected = "Burning feet at night", "Burning feet at night"
        article.save()
    elif edit == "reference":
        reference.title, expected = (
            "Neuropathic pain revisited",
            "Neuropathic pain revisited",
        )
        reference.save()
    elif edit == "topic":
        topic.name, expected = "Nerves", ">Nerves</a>"
        topic.save()
    elif edit == "symptom":
        symptom = Symptom.objects.create(name="Burning", slug="burning")
        symptom.articles.add(article)
        expected = "Burning feet"  # unchanged page, but re-rendered:
    elif edit == "related":
        RelatedArticle.objects.create(from_article=article, to_article=other)
        expected = '<a href="/education/article-'
    else:
        practice.phone = "+16177200000"
        practice.save()
        expected = "(617) 720-0000"

    response = get(client, article)
    assert response["X-Cache"] == "miss"
    assert expected in response.content.decode()


def test_unpublishing_takes_the_page_down_at_once(client, practice):
    article = make_article()
    get(client, article)
    article.status = "draft"
    article.save()
    assert get(client, article).status_code == 404


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


def _article_with(n):
    prefix = f"linked-{n}"
    article = make_article(
        body="".join(
            f'<p>See <a href="/education/{prefix}-{i}/">linked {i}</a></p>'
            for i in range(n)
        ),
        topics=[make_topic() for _ in range(n)],
    )
    for i in range(n):
        make_reference(article, order=i + 1)
        RelatedArticle.objects.create(
            from_article=article, to_article=make_article(slug=f"{prefix}-{i}"), order=i
        )
    return article


def test_cache_miss_renders_the_article_in_five_queries_whatever_its_size(
    client, practice, django_assert_max_num_queries
):
    small, large = _article_with(1), _article_with(8)
    client.get(
        "/education/symptoms/"
    )  # the practice record is cached, as on a running site
    with CaptureQueriesContext(connection) as small_queries:
        assert get(client, small)["X-Cache"] == "miss"
    with django_assert_max_num_queries(5):
        response = get(client, large)
    assert response["X-Cache"] == "miss"
    # Eight body links and eight "See also" links, all live.
    assert response.content.decode().count('<a href="/education/linked-8-') == 16
    with CaptureQueriesContext(connection) as large_queries:
        large.summary = "Changed."
        large.save()
    with CaptureQueriesContext(connection) as large_queries:
        get(client, large)
    assert len(large_queries) == len(small_queries) <= 5


def test_pages_are_served_uncached_while_redis_is_down(client, practice, settings):
    article = make_article(title="Burning feet")
    settings.CACHES = {
        "default": {
            "BACKEND": "clinic.cache.FailOpenRedisCache",
            # Nothing listens on port 1: every cache call fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    first, second = get(client, article), get(client, article)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Burning feet" in second.content.decode()
    assert "X-Cache" not in second and "ETag" not in second


def test_search_results_are_cached_and_refreshed_by_edits(client, practice):
    article = make_article(title="Burning feet", slug="burning-feet")
    url = "/education/search/?q=burning"
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"
    article.title = "Burning soles"
    article.save()
    response = client.get(url)
    assert (
        response["X-Cache"] == "miss" and "Burning soles" in response.content.decode()
    )


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


@pytest.mark.django_db(transaction=True)
def test_each_edit_shows_on_the_very_next_request_to_every_app_server_process(
    practice, settings, tmp_path
):
    """Real gunicorn workers keep their own copies of pages; an edit made in another process
    (here, the test) must reach all of them before anyone's next request, without waiting."""
    import urllib.request

    from tests.support.processes import gunicorn_server

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


def test_no_process_keeps_serving_a_page_after_its_time(client, settings):
    # Pages end at midnight (footers list closures) and search pages after ten minutes; this
    # page is kept for one second.
    settings.ROOT_URLCONF = "tests.education.brief_page_urls"
    first, second = client.get("/education/brief/"), client.get("/education/brief/")
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    time.sleep(1.1)
    third = client.get("/education/brief/")
    assert third["X-Cache"] == "miss" and third.content != first.content
