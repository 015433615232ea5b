"""How education's content reaches the page cache (clinic.pagecache) and the search index."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from clinic import pagecache

from .models import (
    Article,
    ArticleSlug,
    Reference,
    RelatedArticle,
    SearchSynonym,
    Symptom,
    Topic,
)

# What education's own models put on its pages (clinic/signals.py covers the practice record
# in every header and footer).
PAGE_SOURCES = [
    Article,
    ArticleSlug,
    Reference,
    RelatedArticle,
    Topic,
    Symptom,
    SearchSynonym,  # cached search results
]

# A scheduled article goes live without a save: no cached page may outlive that moment.
pagecache.add_next_change(Article.objects.next_scheduled_publish_at)


def _forget_pages(**kwargs):
    if kwargs.get("raw"):
        return
    pagecache.bump_generation()


for model in PAGE_SOURCES:
    post_save.connect(
        _forget_pages, sender=model, dispatch_uid=f"edu-save-{model.__name__}"
    )
    post_delete.connect(
        _forget_pages, sender=model, dispatch_uid=f"edu-del-{model.__name__}"
    )


@receiver(m2m_changed, sender=Article.topics.through)
@receiver(m2m_changed, sender=Symptom.articles.through)
def _topics_or_symptoms_changed(instance, action, reverse, model, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    pagecache.bump_generation()
    # Topic names and symptom words feed the search index of the articles they touch.
    if isinstance(instance, Article):
        instance.update_search_vector()
    else:
        articles = (
            Article.objects.filter(pk__in=pk_set) if pk_set else instance.articles.all()
        )
        for article in articles:
            article.update_search_vector()


@receiver(post_save, sender=Symptom)
@receiver(post_save, sender=Topic)
def _terms_changed(instance, raw=False, **kwargs):
    if raw:
        return
    for article in instance.articles.all():
        article.update_search_vector()
