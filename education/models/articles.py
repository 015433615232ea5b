"""Articles and their topics; the links between articles are in links.py."""

import math
import re

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField
from simple_history.models import HistoricalRecords
from sorl.thumbnail import ImageField

from .links import ArticleLink, ArticleSlug

SEARCH_CONFIG = "english"
PLAIN_LANGUAGE_TARGET_GRADE = 8
WORDS_PER_MINUTE = 200
# Addresses under /education/ that belong to other pages.
RESERVED_SLUGS = {"topics", "symptoms", "search", "feed", "preview", "feedback"}
# A link to another article, as the editor stores it: /education/<slug>/.
ARTICLE_LINK_RE = re.compile(
    r'<a(?P<before>[^>]*?) href="/education/(?P<slug>[-a-zA-Z0-9_]+)/"(?P<attrs>[^>]*)>(?P<text>.*?)</a>',
    re.DOTALL,
)

# What staff can produce in the editor, and so exactly what the server keeps (nh3 allowlist):
# headings, paragraphs, lists, bold/italic, links and the superscript used for footnote marks.
BODY_EXTENSIONS = {
    "Heading": {"levels": [2, 3]},
    "Bold": True,
    "Italic": True,
    "Superscript": True,
    "HardBreak": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto", "tel"]},
}


def linked_slugs(html: str) -> set[str]:
    """The article addresses a body links to."""
    return {
        match["slug"]
        for match in ARTICLE_LINK_RE.finditer(html or "")
        if match["slug"] not in RESERVED_SLUGS
    }


class Topic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        blank=True, help_text="Optional. One or two sentences shown on the topic page."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "topic"
        verbose_name_plural = "topics"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("education:topic_detail", kwargs={"slug": self.slug})


REVIEW_DETAILS_MISSING = (
    Q(reviewer_name="")
    | Q(last_reviewed_on__isnull=True)
    | Q(next_review_due__isnull=True)
)


# Not an aggregate to Django, so the subquery below needs no GROUP BY.
_COUNT_DISTINCT_FROM_ARTICLE = Func(
    F("from_article"),
    function="COUNT",
    template="%(function)s(DISTINCT %(expressions)s)",
    output_field=models.IntegerField(),
)


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """Published articles whose publish time has come: scheduling needs no cron."""
        return self.filter(
            status=Article.Status.PUBLISHED, publish_at__lte=now or timezone.now()
        )

    # The review-state rule, once: Article.has_review_details and is_review_overdue say the same
    # of one article in Python (tests/education/test_models.py checks that they agree).
    def review_overdue(self, today=None):
        return self.filter(next_review_due__lt=today or timezone.localdate())

    def review_up_to_date(self, today=None):
        return self.exclude(REVIEW_DETAILS_MISSING).exclude(
            next_review_due__lt=today or timezone.localdate()
        )

    def needs_review(self, today=None):
        """Live articles with incomplete review details or past their review date."""
        return self.published().exclude(
            pk__in=self.review_up_to_date(today).values("pk")
        )

    def with_live_links_in(self):
        """Annotate live_links_in: how many live articles link to this one's address."""
        links = (
            ArticleLink.objects.filter(
                Q(slug=OuterRef("slug"))
                | Q(
                    slug__in=ArticleSlug.objects.filter(
                        article=OuterRef(OuterRef("pk"))
                    ).values("slug")
                ),
                from_article__in=Article.objects.published().values("pk"),
            )
            .exclude(from_article=OuterRef("pk"))
            .order_by()
            .annotate(count=_COUNT_DISTINCT_FROM_ARTICLE)
            .values("count")
        )
        return self.annotate(live_links_in=Coalesce(Subquery(links), 0))

    def unwritten_linked(self):
        """Articles patients cannot read yet that live articles link to, most linked first."""
        queryset = self
        if "live_links_in" not in self.query.annotations:
            queryset = self.with_live_links_in()
        return (
            queryset.exclude(pk__in=Article.objects.published().values("pk"))
            .filter(live_links_in__gt=0)
            .order_by("-live_links_in", "title")
        )

    def next_scheduled_publish_at(self, now=None):
        return (
            self.filter(
                status=Article.Status.PUBLISHED, publish_at__gt=now or timezone.now()
            )
            .order_by("publish_at")
            .values_list("publish_at", flat=True)
            .first()
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        # The admin shows help text as HTML: no angle brackets in it.
        help_text="The web address: “burning-feet” gives /education/burning-feet/. "
        "If you change it, the old address keeps working.",
    )
    summary = models.CharField(
        max_length=160,
        blank=True,
        help_text="One or two sentences, at most 160 characters. Shown under the title and in search engines.",
    )
    body = ProseEditorField(
        config={"extensions": BODY_EXTENSIONS},
        sanitize=True,
        blank=True,
        help_text="Use “Heading” for section titles: they build the table of contents. "
        "Link to another article by its address, e.g. /education/burning-feet/. Until that "
        "article is published, a line that is only the link is left out and a link inside a "
        "sentence shows as plain text.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    related_articles = models.ManyToManyField(
        "self",
        through="RelatedArticle",
        symmetrical=False,
        blank=True,
        related_name="+",
    )
    image = ImageField(upload_to="education/", blank=True)
    image_alt = models.CharField(
        "image description (alt text)",
        max_length=250,
        blank=True,
        help_text="Describe what the image shows for patients who cannot see it.",
    )
    image_is_decorative = models.BooleanField(
        "image is decorative",
        default=False,
        help_text="Tick only if the image adds nothing to the text; screen readers then skip it.",
    )
    reviewer_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="Who checked this article for medical accuracy.",
    )
    reviewer_credentials = models.CharField(
        max_length=60, blank=True, help_text="e.g. “D.C.”"
    )
    last_reviewed_on = models.DateField("last reviewed", null=True, blank=True)
    next_review_due = models.DateField("next review due", null=True, blank=True)
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Drafts are never shown to patients. Use the preview link to check them.",
    )
    publish_at = models.DateTimeField(
        "publish date",
        null=True,
        blank=True,
        help_text="A future date schedules a published article: it appears by itself at that time. Empty means now.",
    )
    staff_notes = models.TextField(
        blank=True, help_text="For staff only; never shown to patients."
    )
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_vector"])

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = "article"
        verbose_name_plural = "articles"
        indexes = [GinIndex(fields=["search_vector"], name="article_search_gin")]
        constraints = [
            models.CheckConstraint(
                condition=Q(image="") | Q(image_is_decorative=True) | ~Q(image_alt=""),
                name="article_image_has_alt_or_is_decorative",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(publish_at__isnull=False),
                name="article_published_has_publish_date",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Sanitize here too, so text from the shell, the seed or an import is cleaned like the admin's.
        self.body = self._meta.get_field("body").sanitize(self.body or "")
        if not self.slug:
            self.slug = slugify(self.title)[:200]
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        if self.pk:
            previous_slug = (
                Article.objects.filter(pk=self.pk)
                .values_list("slug", flat=True)
                .first()
            )
            if previous_slug and previous_slug != self.slug:
                ArticleSlug.objects.update_or_create(
                    slug=previous_slug, defaults={"article": self}
                )
        super().save(*args, **kwargs)
        # A slug given back to an article must not keep redirecting elsewhere.
        ArticleSlug.objects.filter(slug=self.slug).delete()
        self.update_search_vector()
        self.update_links()

    def get_absolute_url(self):
        return reverse("education:article_detail", kwargs={"slug": self.slug})

    def get_preview_url(self):
        return reverse("education:article_preview", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = ValidationError(
                "This address is taken by another education page; choose another.",
                code="reserved_slug",
            )
        if self.image and not self.image_is_decorative and not self.image_alt.strip():
            errors["image_alt"] = ValidationError(
                "Describe the image for patients who cannot see it, or tick “image is decorative”.",
                code="image_alt_required",
            )
        if self.status == self.Status.PUBLISHED:
            # "Empty means now", decided here so that the form's constraint check agrees.
            if self.publish_at is None:
                self.publish_at = timezone.now()
            errors.update(self.publication_problems())
        if (
            self.last_reviewed_on
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed_on
        ):
            errors["next_review_due"] = ValidationError(
                "The next review must be due after the last review.",
                code="review_due_before_reviewed",
            )
        if errors:
            raise ValidationError(errors)

    def publication_problems(self) -> dict[str, ValidationError]:
        """What this article lacks before patients may see it (the one "ready to publish" rule)."""
        problems = {}
        if not self.summary.strip():
            problems["summary"] = ValidationError(
                "A published article needs a summary.", code="summary_required"
            )
        if not self.body_text.strip():
            problems["body"] = ValidationError(
                "A published article needs its text.", code="body_required"
            )
        return problems

    def update_search_vector(self):
        symptom_terms = " ".join(
            f"{symptom.name} {symptom.search_terms}" for symptom in self.symptoms.all()
        )
        topic_names = " ".join(topic.name for topic in self.topics.all())
        Article.objects.filter(pk=self.pk).update(
            search_vector=(
                SearchVector(Value(self.title), weight="A", config=SEARCH_CONFIG)
                + SearchVector(
                    Value(f"{self.summary} {symptom_terms} {topic_names}"),
                    weight="B",
                    config=SEARCH_CONFIG,
                )
                + SearchVector(Value(self.body_text), weight="C", config=SEARCH_CONFIG)
            )
        )

    def update_links(self):
        """Record the article addresses the body links to (for “unwritten but linked”)."""
        slugs = linked_slugs(self.body)
        ArticleLink.objects.filter(from_article=self).exclude(slug__in=slugs).delete()
        ArticleLink.objects.bulk_create(
            [ArticleLink(from_article=self, slug=slug) for slug in sorted(slugs)],
            ignore_conflicts=True,
        )

    @property
    def body_text(self):
        # Block ends become spaces so that words from adjacent paragraphs do not merge.
        return re.sub(
            r"\s+", " ", strip_tags(re.sub(r"</(p|h\d|li)>", " ", self.body or ""))
        )

    @property
    def summary_opens_body(self):
        """True when the body begins with the summary's words (then the page shows them once)."""
        summary = self.summary.strip().rstrip(".")
        return bool(summary) and self.body_text.strip().startswith(summary)

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    @property
    def is_review_overdue(self):
        return bool(
            self.next_review_due and self.next_review_due < timezone.localdate()
        )

    @property
    def has_review_details(self):
        return bool(
            self.reviewer_name and self.last_reviewed_on and self.next_review_due
        )

    @property
    def needs_review(self):
        return self.is_live and (not self.has_review_details or self.is_review_overdue)

    @property
    def reviewer_display_name(self):
        if not self.reviewer_name:
            return ""
        if self.reviewer_credentials:
            return f"{self.reviewer_name}, {self.reviewer_credentials}"
        return self.reviewer_name

    @property
    def word_count(self):
        return len(self.body_text.split())

    @property
    def reading_minutes(self):
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    @property
    def readability_grade(self):
        """US school grade needed to read the body, or None for a body too short to judge.

        Coleman-Liau counts letters, not syllables: textstat's syllable-based formulas need
        NLTK's CMU dictionary, a download this server cannot make.
        """
        import textstat

        text = self.body_text
        if len(text.split()) < 30:
            return None
        return round(textstat.coleman_liau_index(text), 1)


def unwritten_link_targets(limit=None):
    """Addresses live articles link to that no article answers: [(slug, live links in)]."""
    known = Q(slug__in=Article.objects.values("slug")) | Q(
        slug__in=ArticleSlug.objects.values("slug")
    )
    rows = (
        ArticleLink.objects.filter(
            from_article__in=Article.objects.published().values("pk")
        )
        .exclude(known)
        .values("slug")
        .annotate(count=models.Count("from_article", distinct=True))
        .order_by("-count", "slug")
        .values_list("slug", "count")
    )
    return list(rows[:limit] if limit else rows)
