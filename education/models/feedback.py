"""Readers' answers to “Is this page useful?”, with the optional note on what was missing."""

import uuid

from django.db import models
from django.db.models import Count, Q

from .articles import Article

COMMENT_MAX_LENGTH = 500


class ArticleFeedbackQuerySet(models.QuerySet):
    def counts(self):
        """{"useful": n, "not_useful": n, "comments": n} over these answers."""
        return self.aggregate(
            useful=Count("pk", filter=Q(is_useful=True)),
            not_useful=Count("pk", filter=Q(is_useful=False)),
            comments=Count("pk", filter=~Q(comment="")),
        )


class ArticleFeedback(models.Model):
    """One reader's click on “Yes” or “No” under an article; never who they are."""

    # The click's own identifier: a repeated post of the same click finds this row again.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="feedback"
    )
    is_useful = models.BooleanField("useful")
    comment = models.TextField(
        "what was missing",
        max_length=COMMENT_MAX_LENGTH,
        blank=True,
        help_text="What the reader typed, if anything. Deleted by the retention job.",
    )
    commented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ArticleFeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "reader feedback"
        verbose_name_plural = "reader feedback"

    def __str__(self):
        answer = "useful" if self.is_useful else "not useful"
        return f"{self.article}: {answer}, {self.created_at:%Y-%m-%d}"
