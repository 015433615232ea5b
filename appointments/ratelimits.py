"""Per-client rate limits for the public forms (django-ratelimit on the shared cache).

django_ratelimit is deliberately not in INSTALLED_APPS: its system check rejects the
per-process cache that the site falls back to without CACHE_URL, and nothing else is needed.
"""

import logging

from django.conf import settings
from django_ratelimit.core import get_usage, is_ratelimited

from clinic.pagecache.backend import REDIS_DOWN

logger = logging.getLogger(__name__)


def is_rate_limited(request, *, group: str, rate: str, increment: bool = True) -> bool:
    try:
        return is_ratelimited(
            request,
            group=group,
            key="ip",
            rate=rate,
            method="POST",
            increment=increment,
        )
    except REDIS_DOWN as error:
        # Our cache fails open on reads, but counters raise so that this decision is ours.
        logger.warning("Rate limit unavailable (%s)", type(error).__name__)
        return not settings.RATELIMIT_FAIL_OPEN


def has_reached_limit(request, *, group: str, rate: str) -> bool:
    """Whether this client has used up `rate` already, without counting this request.

    For caps counted only once something succeeds (a time held): check first, then count
    with `is_rate_limited()` after it succeeded.
    """
    try:
        usage = get_usage(
            request, group=group, key="ip", rate=rate, method="POST", increment=False
        )
    except REDIS_DOWN as error:
        logger.warning("Rate limit unavailable (%s)", type(error).__name__)
        return not settings.RATELIMIT_FAIL_OPEN
    return usage is not None and usage["count"] >= usage["limit"]
