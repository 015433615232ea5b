import html
import re
from functools import reduce
from operator import or_

from django.contrib.auth.views import redirect_to_login
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, F, Func, Prefetch, Q, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from clinic.pagecache import cache_public_page

from .models import SEARCH_CONFIG, Article, ArticleSlug, RelatedArticle, Symptom, Topic
from .rendering import linked_slugs, render_body

SEARCH_PAGE_SIZE = 10
MAX_QUERY_LENGTH = 200
MAX_SEARCH_TERMS = 12
# Control characters never typed in an article, so highlights survive escaping of the text.
MARK_START, MARK_STOP = "\x02", "\x03"


def _live_slug_map(slugs):
    """Every slug among `slugs` that leads to a live article -> that article's current slug."""
    if not slugs:
        return {}
    rows = (
        Article.objects.published()
        .filter(Q(slug__in=slugs) | Q(old_slugs__slug__in=slugs))
        .values_list("slug", "old_slugs__slug")
    )
    live = {}
    for slug, old_slug in rows:
        live[slug] = slug
        if old_slug in slugs:
            live[old_slug] = slug
    return live


def _article_page(request, article, *, is_preview=False):
    """Render one article in a fixed number of queries, whatever its references or links."""
    related = [
        link.to_article
        for link in RelatedArticle.objects.filter(from_article=article)
        .filter(
            to_article__in=Article.objects.published().values("pk"),
        )
        .select_related("to_article")
    ]
    body, toc = render_body(article.body, _live_slug_map(linked_slugs(article.body)))
    topics = list(article.topics.all())
    return render(
        request,
        "education/article_detail.html",
        {
            "article": article,
            "body": body,
            "toc": toc,
            "topics": topics,
            "references": list(article.references.all()),
            "related": related,
            "is_preview": is_preview,
            "show_summary": not article.summary_opens_body,
        },
    )


@cache_public_page
def article_detail(request, slug):
    article = (
        Article.objects.published()
        .filter(slug=slug)
        .prefetch_related("topics", "references")
        .first()
    )
    if article is None:
        former = (
            ArticleSlug.objects.filter(
                slug=slug, article__in=Article.objects.published()
            )
            .select_related("article")
            .first()
        )
        if former is None:
            raise Http404("No published article at this address.")
        return redirect(former.article, permanent=True)
    return _article_page(request, article)


@never_cache
def article_preview(request, pk):
    """Staff see drafts and scheduled articles exactly as patients will."""
    # Signed in with the second factor too, where the admin requires it (django-otp).
    is_verified = getattr(request.user, "is_verified", lambda: True)
    if not request.user.is_authenticated or not is_verified():
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not (
        request.user.is_staff and request.user.has_perm("education.change_article")
    ):
        raise PermissionDenied("Only staff who can edit articles can preview them.")
    article = get_object_or_404(
        Article.objects.prefetch_related("topics", "references"), pk=pk
    )
    response = _article_page(request, article, is_preview=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


ARTICLES_PER_TOPIC_ON_LIST = 8
ARTICLES_PER_TOPIC_PAGE = 20


def _newest_review_first():
    return Article.objects.published().order_by(
        F("last_reviewed_on").desc(nulls_last=True), "-publish_at", "title"
    )


@cache_public_page
def article_list(request):
    # Each topic shows its newest-reviewed articles and links to the rest, so the page stays
    # small however many articles staff write.
    live = Q(articles__in=Article.objects.published())
    topics = (
        Topic.objects.annotate(live_count=Count("articles", filter=live))
        .filter(live_count__gt=0)
        .order_by("name")
        .prefetch_related(
            Prefetch(
                "articles",
                queryset=_newest_review_first()[:ARTICLES_PER_TOPIC_ON_LIST],
                to_attr="live_articles",
            )
        )
    )
    return render(
        request,
        "education/article_list.html",
        {
            "topics": topics,
            "other_articles": list(_newest_review_first().filter(topics=None)),
        },
    )


@cache_public_page(query=("page",))
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    paginator = Paginator(
        _newest_review_first().filter(topics=topic), ARTICLES_PER_TOPIC_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request, "education/topic_detail.html", {"topic": topic, "page": page}
    )


@cache_public_page
def symptom_list(request):
    symptoms = Symptom.objects.prefetch_related(
        Prefetch("articles", queryset=_newest_review_first(), to_attr="live_articles")
    )
    return render(request, "education/symptom_list.html", {"symptoms": symptoms})


def _highlighted(snippet):
    # The body's text is escaped; only our own highlight marks become markup.
    text = escape(re.sub(r"\s+", " ", html.unescape(snippet)).strip())
    return mark_safe(text.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>"))


def _search_terms(raw):
    return re.findall(r"[^\W_]+", raw.lower())[:MAX_SEARCH_TERMS]


# Results are public and the same for everyone; repeated searches come from the cache, while the
# short timeout keeps one-off queries from piling up in Redis.
@cache_public_page(timeout=600, query=("q", "page"))
def search(request):
    raw = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    terms = _search_terms(raw)
    context = {"query": raw, "page": None, "terms": terms}
    if terms:
        # Any of the words may match (so "burning feet" finds the article about burning), each also
        # as a prefix ("tingl" finds "tingling"); articles matching more words rank higher.
        any_word = reduce(
            or_,
            [
                SearchQuery(f"{term}:*", search_type="raw", config=SEARCH_CONFIG)
                for term in terms
            ],
        )
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
        paginator = Paginator(results, SEARCH_PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        ids = [article.pk for article in page.object_list]
        snippets = dict(
            Article.objects.filter(pk__in=ids)
            .annotate(
                snippet=SearchHeadline(
                    Func(
                        F("body"),
                        Value("<[^>]+>"),
                        Value(" "),
                        Value("g"),
                        function="regexp_replace",
                    ),
                    any_word,
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
        for article in page.object_list:
            article.snippet = _highlighted(snippets.get(article.pk, ""))
        context["page"] = page
    response = render(request, "education/search.html", context)
    if raw:
        # Result pages are thin and endless; keep them out of search engines.
        response["X-Robots-Tag"] = "noindex"
    return response
