"""Writes with side effects in patient education: draft revisions of live articles, readers'
feedback and its retention."""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from .models import Article, ArticleFeedback, ArticleRevision

# How long readers' notes are kept when the caller names no period. The yes/no counts stay.
FEEDBACK_COMMENT_KEEP_DAYS = 90
# A note may be added this long after the click, from the page the click led to.
COMMENT_WINDOW = datetime.timedelta(hours=24)


def record_feedback(
    *, article: Article, is_useful: bool, click_id: uuid.UUID
) -> ArticleFeedback:
    """Store one click on “Yes”/“No”; posting the same click again finds the same row."""
    feedback, _ = ArticleFeedback.objects.get_or_create(
        public_id=click_id, defaults={"article": article, "is_useful": is_useful}
    )
    return feedback


@transaction.atomic
def add_feedback_comment(*, public_id: uuid.UUID, comment: str) -> bool:
    """Attach the reader's note to their click, once, within the window. True if stored."""
    feedback = (
        ArticleFeedback.objects.select_for_update().filter(public_id=public_id).first()
    )
    if feedback is None or not can_comment(feedback):
        return False
    feedback.comment = comment
    feedback.commented_at = timezone.now()
    feedback.save(update_fields=["comment", "commented_at"])
    return True


def can_comment(feedback: ArticleFeedback) -> bool:
    return (
        not feedback.comment and feedback.created_at > timezone.now() - COMMENT_WINDOW
    )


def purge_feedback_comments(
    *, older_than_days: int | None = None, dry_run: bool = False
) -> int:
    """Erase readers' notes older than the period; keep the yes/no answers. The count.

    For the retention job: notes are free text and may hold personal details despite the
    warning beside the box.
    """
    days = FEEDBACK_COMMENT_KEEP_DAYS if older_than_days is None else older_than_days
    old = ArticleFeedback.objects.exclude(comment="").filter(
        created_at__lt=timezone.now() - datetime.timedelta(days=days)
    )
    if dry_run:
        return old.count()
    return old.update(comment="")


class RevisionNotReady(Exception):
    """The draft lacks what a published article needs; .problems says what, per field."""

    def __init__(self, problems):
        super().__init__("The draft is not ready to publish.")
        self.problems = problems


@transaction.atomic
def start_revision(*, article: Article, user) -> ArticleRevision:
    """The article's draft revision, started from its current text if there is none yet."""
    revision, _ = ArticleRevision.objects.get_or_create(
        article=article,
        defaults={
            **ArticleRevision.starting_from(article).field_values(),
            "created_by": user,
        },
    )
    return revision


@transaction.atomic
def publish_revision(*, revision: ArticleRevision, user) -> Article:
    """Put the draft's text on the live page (one history entry) and discard the draft."""
    article = revision.applied()
    if article.status == Article.Status.PUBLISHED:
        problems = article.publication_problems()
        if problems:
            raise RevisionNotReady(problems)
    article._history_user = user
    started_by = revision.created_by.get_username() if revision.created_by else "staff"
    article._change_reason = f"Published the draft revision started by {started_by}"[
        :100
    ]
    article.save()
    revision.delete()
    return article
