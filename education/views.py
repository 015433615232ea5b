import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.network import client_ip
from clinic.pagecache import cache_public_page

from .forms import (
    ArticlePreviewForm,
    FeedbackCommentForm,
    FeedbackForm,
    feedback_token,
)
from .models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleSlug,
    RelatedArticle,
    Symptom,
    Topic,
)
from .ratelimits import is_rate_limited
from .rendering import linked_slugs, render_body, split_introduction
from .search import add_snippets, search_articles
from .services import add_feedback_comment, can_comment, record_feedback

SEARCH_PAGE_SIZE = 10
FEEDBACK_MAX_BYTES = 8 * 1024
# A second post of one click (a double click, Back and resubmit) within this time is the same
# click: it finds the row the first one stored.
FEEDBACK_REPEAT_SECONDS = 600
RATE_LIMIT_WINDOW_SECONDS = 600


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


def _article_page(request, article, *, preview=None):
    """Render one article in a fixed number of queries, whatever its references or links.

    preview: None on the public page; "saved", "revision" or "unsaved" for staff previews.
    """
    is_saved = article.pk is not None
    related = (
        [
            link.to_article
            for link in RelatedArticle.objects.filter(from_article=article)
            .filter(
                to_article__in=Article.objects.published().values("pk"),
            )
            .select_related("to_article")
        ]
        if is_saved
        else []
    )
    body, toc = render_body(article.body, _live_slug_map(linked_slugs(article.body)))
    introduction, body = split_introduction(body)
    topics = list(article.topics.all()) if is_saved else []
    response = render(
        request,
        "education/article_detail.html",
        {
            "article": article,
            "introduction": introduction,
            "body": body,
            "toc": toc,
            "topics": topics,
            "references": list(article.references.all()) if is_saved else [],
            "related": related,
            "is_preview": preview is not None,
            "preview": preview,
            "show_summary": not article.summary_opens_body,
            # The same for every visitor, so the cached page can carry it (see feedback()).
            "feedback_token": None if preview else feedback_token(article),
        },
    )
    if preview:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


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


def _refuse_unless_editor(request):
    """A response for anyone but staff who may edit articles (signed in with both factors)."""
    # Signed in with the second factor too, where the admin requires it (django-otp).
    is_verified = getattr(request.user, "is_verified", lambda: True)
    if not request.user.is_authenticated or not is_verified():
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not (
        request.user.is_staff and request.user.has_perm("education.change_article")
    ):
        raise PermissionDenied("Only staff who can edit articles can preview them.")
    return None


@never_cache
def article_preview(request, pk):
    """Staff see drafts and scheduled articles exactly as patients will."""
    if refusal := _refuse_unless_editor(request):
        return refusal
    article = get_object_or_404(
        Article.objects.prefetch_related("topics", "references"), pk=pk
    )
    return _article_page(request, article, preview="saved")


@never_cache
def revision_preview(request, pk):
    """A published article as its draft revision would make it; patients still see the live one."""
    if refusal := _refuse_unless_editor(request):
        return refusal
    revision = get_object_or_404(
        ArticleRevision.objects.select_related("article"), article__pk=pk
    )
    return _article_page(request, revision.applied(), preview="revision")


@never_cache
@require_POST
def unsaved_preview(request):
    """The article as typed in the editor, before it is saved (the editor's Preview button)."""
    if refusal := _refuse_unless_editor(request):
        return refusal
    article = Article()
    if article_id := request.GET.get("article"):
        if not article_id.isdigit():
            return _preview_problem(request, ["The article to preview is unknown."])
        article = get_object_or_404(Article, pk=article_id)
    form = ArticlePreviewForm(request.POST)
    if not form.is_valid():
        return _preview_problem(
            request,
            [
                f"{form.fields[name].label}: {' '.join(errors)}"
                for name, errors in form.errors.items()
            ],
        )
    for name, value in form.cleaned_data.items():
        setattr(article, name, value)
    if article.pk is None:
        # A new article has no address or dates yet; the page needs some to render.
        article.slug = slugify(article.title)[:200] or "new-article"
        article.updated_at = timezone.now()
    # Shown as markup below: clean it exactly as saving would.
    article.body = Article._meta.get_field("body").sanitize(article.body or "")
    return _article_page(request, article, preview="unsaved")


def _preview_problem(request, problems):
    return render(
        request, "education/preview_problem.html", {"problems": problems}, status=400
    )


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


# Results are public and the same for everyone; repeated searches come from the cache, while the
# short timeout keeps one-off queries from piling up in Redis.
@cache_public_page(timeout=600, query=("q", "page"))
def search(request):
    outcome = search_articles(request.GET.get("q", ""))
    page = None
    if outcome.results is not None:
        paginator = Paginator(outcome.results, SEARCH_PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        add_snippets(page.object_list, outcome.highlight)
    response = render(
        request,
        "education/search.html",
        {
            "query": outcome.query,
            "terms": outcome.terms,
            "page": page,
            "suggestion": outcome.suggestion,
            "is_fuzzy": outcome.is_fuzzy,
        },
    )
    if outcome.query:
        # Result pages are thin and endless; keep them out of search engines.
        response["X-Robots-Tag"] = "noindex"
    return response


def _feedback_problem(request, message, status, article=None):
    response = render(
        request,
        "education/feedback_problem.html",
        {"message": message, "article": article},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(RATE_LIMIT_WINDOW_SECONDS)
    return response


def _is_cross_site(request):
    """True for a post another site made the reader's browser send (Fetch Metadata, Origin)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    allowed = {
        f"{request.scheme}://{request.get_host()}",
        *settings.CSRF_TRUSTED_ORIGINS,
    }
    return origin not in allowed


def _click_id(request, article, is_useful, token):
    """The same id for repeated posts of one click from one client; a new one otherwise."""
    client = salted_hmac(
        "education.feedback-client", client_ip(request), algorithm="sha256"
    ).hexdigest()
    key = (
        "education:feedback-click:"
        + hashlib.sha256(
            f"{client}|{article.pk}|{is_useful}|{token}".encode()
        ).hexdigest()
    )
    click_id = uuid.uuid4()
    if cache.add(key, click_id.hex, FEEDBACK_REPEAT_SECONDS):
        return click_id
    # Without the cache (Redis down) every post counts: a duplicate beats a lost answer.
    existing = cache.get(key)
    return uuid.UUID(hex=existing) if existing else click_id


# The article page that holds this form is shared from the page cache, so the form cannot
# carry a CSRF token (or a nonce): one token would be served to every reader. CSRF protects a
# signed-in person's actions; this is an anonymous yes/no, worth no more when forged than when
# a bot sends it. It is protected instead by: the browser's own Fetch Metadata/Origin headers
# (a post another site makes the reader's browser send is refused), a signed token naming the
# article and the time the page was rendered (no votes on drafts or made-up pages, and a copied
# token expires), a per-client rate limit in Redis, and one row per click.
@csrf_exempt
@never_cache
@require_POST
def feedback(request):
    if _is_cross_site(request):
        return _feedback_problem(
            request,
            "Please answer from the article page on this website.",
            status=403,
        )
    if int(request.META.get("CONTENT_LENGTH") or 0) > FEEDBACK_MAX_BYTES:
        return _feedback_problem(request, "What was sent is far too long.", status=400)
    if is_rate_limited(
        request, group="article-feedback", rate=settings.FEEDBACK_RATE_LIMIT
    ):
        return _feedback_problem(
            request,
            "We have received many answers from your connection in the last few minutes. "
            "Please try again in ten minutes.",
            status=429,
        )
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        problem = form.has_error("token", "expired") or form.has_error(
            "token", "invalid"
        )
        message = (
            form.errors["token"][0]
            if problem
            else "Please choose “Yes” or “No” on the article page."
        )
        return _feedback_problem(request, message, status=400)
    article = Article.objects.published().filter(pk=form.cleaned_data["token"]).first()
    if article is None:
        return _feedback_problem(
            request, "This article is no longer published.", status=400
        )
    is_useful = form.cleaned_data["useful"] == "yes"
    answer = record_feedback(
        article=article,
        is_useful=is_useful,
        click_id=_click_id(request, article, is_useful, request.POST["token"]),
    )
    return HttpResponseRedirect(
        reverse("education:feedback_thanks", kwargs={"public_id": answer.public_id}),
        status=303,
    )


@never_cache
def feedback_thanks(request, public_id):
    """Thanks, and an optional note on what was missing (an ordinary CSRF-protected form)."""
    answer = get_object_or_404(
        ArticleFeedback.objects.select_related("article"), public_id=public_id
    )
    form = FeedbackCommentForm(request.POST or None)
    if not answer.is_useful:
        form.fields["comment"].label = "What was missing or unclear? (optional)"
    else:
        form.fields[
            "comment"
        ].label = "Anything we could add or explain better? (optional)"
    status = 200
    if request.method == "POST":
        if is_rate_limited(
            request, group="article-feedback", rate=settings.FEEDBACK_RATE_LIMIT
        ):
            return _feedback_problem(
                request,
                "We have received many answers from your connection in the last few "
                "minutes. Please try again in ten minutes.",
                status=429,
                article=answer.article,
            )
        if form.is_valid():
            add_feedback_comment(
                public_id=answer.public_id, comment=form.cleaned_data["comment"]
            )
            return HttpResponseRedirect(request.path, status=303)
        status = 400
        form.fields["comment"].widget.attrs.update(
            {"aria-describedby": "comment-help comment-error", "aria-invalid": "true"}
        )
    response = render(
        request,
        "education/feedback_thanks.html",
        {
            "answer": answer,
            "article": answer.article,
            "form": form,
            "can_comment": can_comment(answer),
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
