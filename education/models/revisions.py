"""Draft revisions: changes to a published article prepared without touching the live page."""

import copy

from django.conf import settings
from django.db import models
from django.urls import reverse
from django_prose_editor.fields import ProseEditorField

from .articles import BODY_EXTENSIONS, Article

# What a draft revision may change. The address, publication settings, topics, references and
# image stay with the article itself and change at once when saved there.
REVISION_FIELDS = [
    "title",
    "summary",
    "body",
    "reviewer_name",
    "reviewer_credentials",
    "last_reviewed_on",
    "next_review_due",
]


class ArticleRevision(models.Model):
    """The one pending draft of a published article's text; patients see none of it."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="draft_revision"
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=160,
        blank=True,
        help_text="One or two sentences, at most 160 characters.",
    )
    body = ProseEditorField(
        config={"extensions": BODY_EXTENSIONS},
        sanitize=True,
        blank=True,
        help_text="Use “Heading” for section titles: they build the table of contents.",
    )
    reviewer_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="Who checked this article for medical accuracy.",
    )
    reviewer_credentials = models.CharField(max_length=60, blank=True)
    last_reviewed_on = models.DateField("last reviewed", null=True, blank=True)
    next_review_due = models.DateField("next review due", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "draft revision"
        verbose_name_plural = "draft revisions (changes not yet on the live page)"

    def __str__(self):
        return f"Draft of “{self.article.title}”"

    def save(self, *args, **kwargs):
        self.body = self._meta.get_field("body").sanitize(self.body or "")
        super().save(*args, **kwargs)

    def get_preview_url(self):
        return reverse("education:revision_preview", kwargs={"pk": self.article_id})

    @classmethod
    def starting_from(cls, article, **fields):
        """A new draft holding the article's current text."""
        return cls(
            article=article,
            **{name: getattr(article, name) for name in REVISION_FIELDS},
            **fields,
        )

    def field_values(self) -> dict:
        return {name: getattr(self, name) for name in REVISION_FIELDS}

    def applied(self):
        """The article as it will be once this draft is published (not saved)."""
        article = copy.copy(self.article)
        for name in REVISION_FIELDS:
            setattr(article, name, getattr(self, name))
        return article

    @property
    def changed_fields(self) -> list[str]:
        return [
            name
            for name in REVISION_FIELDS
            if getattr(self, name) != getattr(self.article, name)
        ]
