"""Per-client rate limits for the public forms (django-ratelimit on the shared cache).

django_ratelimit is deliberately not in INSTALLED_APPS: its system check rejects the
per-process cache that the site falls back to without CACHE_URL, and nothing else is needed.
"""

import logging

from django.conf import settings
from django_ratelimit.core import is_ratelimited

from clinic.cache import REDIS_DOWN

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the hop our trusted proxies saw."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


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
