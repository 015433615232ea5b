"""Article search that forgives: ranked full-text search, staff synonyms, then typo tolerance.

1. PostgreSQL full-text search (stemmed, each word also as a prefix), ranked title over summary
   over text, with the alternatives staff gave for any synonym in the query (“sciatica” also
   searches for “nerve pain”).
2. Only when that finds nothing: trigram word similarity (pg_trgm) between each typed word and
   the articles' words, so “nueropathy” still finds the article on neuropathy; and a
   “did you mean” built from the closest words the live articles really use.
"""

import html
import re
from dataclasses import dataclass, field
from functools import reduce
from operator import add, or_

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import F, FloatField, Func, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import SEARCH_CONFIG, Article, SearchSynonym

MAX_QUERY_LENGTH = 200
MAX_SEARCH_TERMS = 12
# pg_trgm's word similarity of a typed word to the closest word in an article: 0.5 lets one
# or two letters be wrong or swapped in a word of eight or more (“nueropathy”, “numbnes”).
WORD_SIMILARITY_THRESHOLD = 0.5
# Similarity of two whole words for "did you mean": lower, since the suggestion is only offered.
SUGGESTION_THRESHOLD = 0.35
MIN_CORRECTED_LENGTH = 4
# Control characters never typed in an article, so highlights survive escaping of the text.
MARK_START, MARK_STOP = "\x02", "\x03"


def _plain(expression):
    """An HTML field as plain text, inside the database."""
    return Func(
        expression,
        Value("<[^>]+>"),
        Value(" "),
        Value("g"),
        function="regexp_replace",
    )


@dataclass
class SearchOutcome:
    query: str
    terms: list[str] = field(default_factory=list)
    results: QuerySet | None = None
    # The query with each misspelt word replaced by the closest word the articles use.
    suggestion: str = ""
    # True when the results come from similar words, not from the words typed.
    is_fuzzy: bool = False
    highlight: SearchQuery | None = None


def search_terms(raw: str) -> list[str]:
    return re.findall(r"[^\W_]+", raw.lower())[:MAX_SEARCH_TERMS]


def synonym_alternatives(terms: list[str]) -> list[str]:
    """What staff said to search for as well, for each synonym the query contains."""
    query = f" {' '.join(terms)} "
    alternatives = []
    for synonym in SearchSynonym.objects.all():
        if f" {synonym.phrase} " in query:
            alternatives.extend(synonym.alternatives)
    return list(dict.fromkeys(alternatives))


def _any_of(terms, alternatives):
    # Each typed word also as a prefix ("tingl" finds "tingling"); alternatives as phrases.
    queries = [
        SearchQuery(f"{term}:*", search_type="raw", config=SEARCH_CONFIG)
        for term in terms
    ] + [
        SearchQuery(phrase, search_type="phrase", config=SEARCH_CONFIG)
        for phrase in alternatives
    ]
    return reduce(or_, queries)


def full_text_results(raw: str, terms: list[str]) -> tuple[QuerySet, SearchQuery]:
    any_word = _any_of(terms, synonym_alternatives(terms))
    all_words = SearchQuery(raw, search_type="websearch", config=SEARCH_CONFIG)
    results = (
        Article.objects.published()
        .filter(search_vector=any_word)
        .annotate(
            rank=SearchRank(F("search_vector"), all_words) * 2
            + SearchRank(F("search_vector"), any_word)
        )
        .order_by("-rank", "title")
    )
    return results, any_word


def similar_word_results(terms: list[str]) -> QuerySet:
    """Live articles with a word close to each typed word (pg_trgm word similarity)."""
    scores = [
        Greatest(
            TrigramWordSimilarity(Value(term), "title"),
            TrigramWordSimilarity(Value(term), "summary"),
            TrigramWordSimilarity(Value(term), _plain(F("body"))),
            output_field=FloatField(),
        )
        for term in terms
        if len(term) >= MIN_CORRECTED_LENGTH
    ]
    if not scores:
        return Article.objects.none()
    best = (
        Greatest(*scores, output_field=FloatField()) if len(scores) > 1 else scores[0]
    )
    return (
        Article.objects.published()
        .annotate(similarity=best, rank=reduce(add, scores))
        .filter(similarity__gte=WORD_SIMILARITY_THRESHOLD)
        .order_by("-rank", "title")
    )


_CLOSEST_WORD_SQL = """
    SELECT word FROM (
        SELECT DISTINCT regexp_split_to_table(
            lower(regexp_replace(title || ' ' || summary || ' ' || body, '<[^>]+>', ' ', 'g')),
            '[^[:alpha:]]+'
        ) AS word
        FROM education_article WHERE id = ANY(%s)
    ) AS words
    WHERE length(word) >= %s AND similarity(word, %s) >= %s
    ORDER BY similarity(word, %s) DESC, word
    LIMIT 1
"""


def suggestion_for(terms: list[str]) -> str:
    """The query with each unknown word replaced by the closest word live articles use."""
    live = list(Article.objects.published().values_list("pk", flat=True))
    if not live:
        return ""
    corrected, changed = [], False
    with connection.cursor() as cursor:
        for term in terms:
            closest = None
            if len(term) >= MIN_CORRECTED_LENGTH:
                cursor.execute(
                    _CLOSEST_WORD_SQL,
                    [live, MIN_CORRECTED_LENGTH, term, SUGGESTION_THRESHOLD, term],
                )
                row = cursor.fetchone()
                closest = row[0] if row else None
            changed = changed or (closest is not None and closest != term)
            corrected.append(closest or term)
    return " ".join(corrected) if changed else ""


def search_articles(raw: str) -> SearchOutcome:
    raw = raw[:MAX_QUERY_LENGTH].strip()
    terms = search_terms(raw)
    outcome = SearchOutcome(query=raw, terms=terms)
    if not terms:
        return outcome
    results, any_word = full_text_results(raw, terms)
    outcome.results, outcome.highlight = results, any_word
    if results.exists():
        return outcome
    outcome.suggestion = suggestion_for(terms)
    outcome.results = similar_word_results(terms)
    outcome.is_fuzzy = True
    outcome.highlight = (
        _any_of(search_terms(outcome.suggestion), []) if outcome.suggestion else None
    )
    return outcome


def _highlighted(snippet):
    # The body's text is escaped; only our own highlight marks become markup.
    text = escape(re.sub(r"\s+", " ", html.unescape(snippet)).strip())
    return mark_safe(text.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))


def add_snippets(articles, highlight: SearchQuery | None):
    """Give each article on the page a short extract of its text, the matches marked."""
    if highlight is None:
        return
    ids = [article.pk for article in articles]
    snippets = dict(
        Article.objects.filter(pk__in=ids)
        .annotate(
            snippet=SearchHeadline(
                _plain(F("body")),
                highlight,
                config=SEARCH_CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "snippet")
    )
    for article in articles:
        article.snippet = _highlighted(snippets.get(article.pk, ""))


__all__ = [
    "MAX_QUERY_LENGTH",
    "SearchOutcome",
    "add_snippets",
    "search_articles",
]
