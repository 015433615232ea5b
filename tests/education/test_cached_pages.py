"""Education pages in the page cache: every editor's save shows on the very next request
(education/signals.py), and rendering a page afresh stays cheap however big the article.

The page cache's own behaviour (hits, 304s, expiry, processes, outages) is tested in
tests/clinic/test_pagecache.py.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from education.models import RelatedArticle, Symptom
from tests.factories import make_article, make_reference, make_topic

pytestmark = pytest.mark.django_db


def get(client, article, **headers):
    return client.get(article.get_absolute_url(), headers=headers)


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


def test_search_and_topic_pages_are_keyed_by_the_query_and_page_they_read(
    client, practice
):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    make_article(title="Burning feet", topics=[topic])
    make_article(title="Numb toes", topics=[topic])
    burning = client.get("/education/search/?q=burning")
    numb = client.get("/education/search/?q=numb")
    burning_again = client.get("/education/search/?utm_source=mail&q=burning")
    assert (burning["X-Cache"], numb["X-Cache"], burning_again["X-Cache"]) == (
        "miss",
        "miss",
        "hit",
    )
    assert "Burning feet" in burning.content.decode()
    assert "Numb toes" in numb.content.decode()
    assert "Numb toes" not in burning.content.decode()
    first, second = (
        client.get("/education/topics/nerve-pain/?page=1"),
        client.get("/education/topics/nerve-pain/?page=1&ref=x"),
    )
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
