"""@cache_public_page: a view's opt-in to the page cache, for pages without per-visitor content."""

import functools

from django.utils.functional import empty

from .generation import PAGE_TIMEOUT


def _is_shareable(request, response):
    nonce = getattr(request, "_csp_nonce", None)
    nonce_used = nonce is not None and nonce._wrapped is not empty
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not nonce_used
    )


def cache_public_page(view=None, *, timeout=PAGE_TIMEOUT):
    """Let PublicPageCacheMiddleware share this view's pages between visitors.

    `timeout` bounds how long an unchanged page is kept (pages are invalidated on any edit
    regardless); keep it short for pages with endless URLs, such as search results.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            response.is_public_page = _is_shareable(request, response)
            response.public_page_timeout = timeout
            return response

        return wrapped

    return decorator if view is None else decorator(view)
