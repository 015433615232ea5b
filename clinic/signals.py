from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import PRACTICE_CACHE_KEY, Closure, OpeningHours, Practice


@receiver([post_save, post_delete], sender=Practice)
@receiver([post_save, post_delete], sender=OpeningHours)
@receiver([post_save, post_delete], sender=Closure)
def forget_cached_practice(**kwargs):
    # A staff edit must show on the very next page load.
    cache.delete(PRACTICE_CACHE_KEY)
