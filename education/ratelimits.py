"""Per-client rate limits for readers' feedback (django-ratelimit on the shared cache).

The same arrangement as the appointment forms' (appointments/ratelimits.py), which education
may not import: counted in Redis across processes, failing open while Redis is down, since a
lost "Yes" matters less than a working page.
"""

import logging

from django.conf import settings
from django_ratelimit.core import is_ratelimited

from clinic.pagecache.backend import REDIS_DOWN

logger = logging.getLogger(__name__)


def is_rate_limited(request, *, group: str, rate: str) -> bool:
    try:
        return is_ratelimited(
            request, group=group, key="ip", rate=rate, method="POST", increment=True
        )
    except REDIS_DOWN as error:
        logger.warning("Rate limit unavailable (%s)", type(error).__name__)
        return not settings.RATELIMIT_FAIL_OPEN
