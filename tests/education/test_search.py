import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from education.models import Symptom
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def results(response):
    html = response.content.decode()
    return re.findall(r'<h2><a href="/education/([^"]+)/">', html)


@pytest.fixture
def seeded(db):
    call_command("load_seed")


@pytest.mark.parametrize(
    "query",
    [
        "nerve damage",
        "tingling",
        "burning feet",
        "shooting pain",
        "pins and needles",
        "NEUROPATHY",
    ],
)
def test_patients_words_find_the_seed_article(client, seeded, query):
    response = client.get(reverse("education:search"), {"q": query})
    assert results(response) == ["neuropathic-pain"]


def test_results_are_ranked_title_over_summary_over_body_and_highlighted(
    client, practice
):
    make_article(
        title="Sciatica",
        slug="body-hit",
        summary="Leg pain.",
        body="<p>Tingling and tingling again.</p>",
    )
    make_article(
        title="Tingling hands", slug="title-hit", summary="Hands.", body="<p>Hands.</p>"
    )
    make_article(
        title="Hands",
        slug="summary-hit",
        summary="Tingling in the hands.",
        body="<p>Hands.</p>",
    )
    make_article(title="Other", slug="no-hit", summary="Other.", body="<p>Other.</p>")
    make_article(
        title="Tingling draft", slug="draft-hit", status="draft", publish_at=None
    )

    response = client.get(reverse("education:search"), {"q": "tingling"})
    assert results(response) == ["title-hit", "summary-hit", "body-hit"]
    assert (
        '<p class="snippet">… <mark>Tingling</mark> and <mark>tingling</mark> again …</p>'
        in response.content.decode()
    )


def test_snippets_escape_article_text(client, practice):
    make_article(slug="amp", body="<p>Tingling &lt;script&gt; &amp; more</p>")
    html = client.get(reverse("education:search"), {"q": "tingling"}).content.decode()
    assert "<mark>Tingling</mark> &lt;script&gt; &amp; more" in html


def test_symptom_words_staff_add_feed_the_search(client, practice):
    article = make_article(slug="neuropathy", body="<p>Nerves.</p>")
    symptom = Symptom.objects.create(name="Burning", slug="burning")
    symptom.articles.add(article)
    assert results(client.get(reverse("education:search"), {"q": "scorching"})) == []
    symptom.search_terms = "scorching soles"
    symptom.save()
    assert results(client.get(reverse("education:search"), {"q": "scorching"})) == [
        "neuropathy"
    ]


def test_results_are_paginated(client, practice):
    for number in range(12):
        make_article(title=f"Numbness {number:02}", slug=f"numb-{number:02}")
    first = client.get(reverse("education:search"), {"q": "numbness"})
    second = client.get(reverse("education:search"), {"q": "numbness", "page": "2"})
    assert len(results(first)) == 10 and len(results(second)) == 2
    assert set(results(first)).isdisjoint(results(second))
    assert "12 articles found for “numbness”." in first.content.decode()
    assert results(
        client.get(reverse("education:search"), {"q": "numbness", "page": "99"})
    ) == results(second)
    assert results(
        client.get(reverse("education:search"), {"q": "numbness", "page": "x"})
    ) == results(first)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two about what you feel"),
        ("%%% ***", "has no words we can search for"),
        ("the and of", "No articles found for “the and of”."),
        ("xylophone", "No articles found for “xylophone”."),
        ("a" * 5000, "No articles found"),
        ("tingling:* & | ! (", "No articles found"),
    ],
)
def test_empty_garbage_and_unmatched_queries_get_a_helpful_page(
    client, practice, query, message
):
    make_article(title="Other", body="<p>Other.</p>")
    response = client.get(reverse("education:search"), {"q": query})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "symptom index" in html
