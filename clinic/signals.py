from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import pagecache
from .models import PRACTICE_CACHE_KEY, Closure, OpeningHours, Practice, Tagline


@receiver([post_save, post_delete], sender=Practice)
@receiver([post_save, post_delete], sender=OpeningHours)
@receiver([post_save, post_delete], sender=Closure)
def practice_changed(raw=False, **kwargs):
    # A staff edit must show on the very next page load: every page's header and footer show
    # the practice record. The cached record goes first, so that no page stored under the new
    # generation shows the old one. Again once committed: a request that read the record between
    # the save and the commit cached the old one, for an hour.
    cache.delete(PRACTICE_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(PRACTICE_CACHE_KEY))
    if not raw:
        pagecache.bump_generation()


@receiver([post_save, post_delete], sender=Tagline)
def tagline_changed(raw=False, **kwargs):
    # The language-assistance page and notice lists show the taglines.
    if not raw:
        pagecache.bump_generation()
