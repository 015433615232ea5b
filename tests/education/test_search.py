import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from education.models import SearchSynonym, Symptom
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


@pytest.mark.parametrize("query", ["nueropathy", "neuropathy pian", "numbnes"])
def test_misspelt_words_still_find_the_article(client, seeded, query):
    response = client.get(reverse("education:search"), {"q": query})
    assert results(response) == ["neuropathic-pain"]


def test_a_typo_gets_a_did_you_mean_with_the_words_the_articles_use(client, seeded):
    html = client.get(reverse("education:search"), {"q": "nueropathy"}).content.decode()
    assert (
        "No articles use the words “nueropathy”. Did you mean "
        '<a href="/education/search/?q=neuropathy">neuropathy</a>? '
        "Showing 1 article with similar words."
    ) in html
    # Following the suggestion is an ordinary search, highlighted.
    html = client.get(reverse("education:search"), {"q": "neuropathy"}).content.decode()
    assert "1 article found for “neuropathy”." in html
    assert "<mark>neuropathy</mark>" in html


def test_sciatica_finds_nerve_pain_through_the_seeded_synonym(client, seeded):
    assert results(client.get(reverse("education:search"), {"q": "sciatica"})) == [
        "neuropathic-pain"
    ]


def test_synonyms_staff_add_change_the_results_at_once(client, practice):
    make_article(slug="nerve-pain", title="Nerve pain", body="<p>Radiating pain.</p>")
    make_article(slug="other", title="Posture", body="<p>Sit up straight.</p>")
    url = reverse("education:search")
    assert results(client.get(url, {"q": "lumbago"})) == []
    assert client.get(url, {"q": "lumbago"})["X-Cache"] == "hit"
    SearchSynonym.objects.create(
        phrase="  Lumbago ", also_search_for="radiating pain, , Radiating pain"
    )
    response = client.get(url, {"q": "lumbago"})
    assert (response["X-Cache"], results(response)) == ("miss", ["nerve-pain"])
    assert SearchSynonym.objects.get().phrase == "lumbago"
    assert SearchSynonym.objects.get().alternatives == ["radiating pain"]


def test_multi_word_synonyms_match_the_phrase_only(client, practice):
    make_article(slug="discs", title="Discs", body="<p>A herniated disc.</p>")
    SearchSynonym.objects.create(
        phrase="slipped disc", also_search_for="herniated disc"
    )
    url = reverse("education:search")
    assert results(client.get(url, {"q": "my slipped disc"})) == ["discs"]
    assert results(client.get(url, {"q": "slipped"})) == []


def test_nothing_close_gets_no_suggestion_and_the_usual_help(client, seeded):
    html = client.get(reverse("education:search"), {"q": "xylophone"}).content.decode()
    assert "No articles found for “xylophone”." in html
    assert "Did you mean" not in html
