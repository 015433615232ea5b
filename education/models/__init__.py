"""Patient education's models: articles and topics, the links between articles (former
addresses, “See also”, links in the text), references, symptoms, search synonyms, readers'
feedback and draft revisions. Import them from here."""

from .articles import (
    ARTICLE_LINK_RE,
    BODY_EXTENSIONS,
    PLAIN_LANGUAGE_TARGET_GRADE,
    RESERVED_SLUGS,
    REVIEW_DETAILS_MISSING,
    SEARCH_CONFIG,
    WORDS_PER_MINUTE,
    Article,
    ArticleQuerySet,
    Topic,
    linked_slugs,
    unwritten_link_targets,
)
from .feedback import COMMENT_MAX_LENGTH, ArticleFeedback, ArticleFeedbackQuerySet
from .links import ArticleLink, ArticleSlug, RelatedArticle
from .references import Reference, doi_validator
from .revisions import REVISION_FIELDS, ArticleRevision
from .symptoms import Symptom
from .synonyms import SearchSynonym, normalize_phrase

__all__ = [
    "ARTICLE_LINK_RE",
    "BODY_EXTENSIONS",
    "COMMENT_MAX_LENGTH",
    "PLAIN_LANGUAGE_TARGET_GRADE",
    "RESERVED_SLUGS",
    "REVISION_FIELDS",
    "REVIEW_DETAILS_MISSING",
    "SEARCH_CONFIG",
    "WORDS_PER_MINUTE",
    "Article",
    "ArticleFeedback",
    "ArticleFeedbackQuerySet",
    "ArticleLink",
    "ArticleQuerySet",
    "ArticleRevision",
    "ArticleSlug",
    "Reference",
    "RelatedArticle",
    "SearchSynonym",
    "Symptom",
    "Topic",
    "doi_validator",
    "linked_slugs",
    "normalize_phrase",
    "unwritten_link_targets",
]
