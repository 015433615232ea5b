from django.conf import settings
from django.core.exceptions import DisallowedHost

from .models import Practice


def practice(request):
    return {"practice": Practice.get_current(), "site_url": site_url(request)}


def site_url(request):
    """The site's public base URL for canonical links: SITE_URL, else the request's own host.

    The 400 page for a disallowed Host header renders through here too, so that case must not
    raise again.
    """
    if settings.SITE_URL:
        return settings.SITE_URL
    try:
        return request.build_absolute_uri("/").rstrip("/")
    except DisallowedHost:
        return ""
