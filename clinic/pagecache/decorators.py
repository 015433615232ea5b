"""@cache_public_page, a view's opt-in to the page cache, and where the URLconf uses it.

Marking the view is all a page needs: PublicPageCacheMiddleware finds the marked views' paths in
the URLconf once, when it is created (public_page_paths), and at request time only checks the
path against that set and those prefixes, without resolving the URL.
"""

import functools

from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
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

        wrapped.is_public_page_view = True
        return wrapped

    return decorator if view is None else decorator(view)


def _fixed_start(pattern):
    """The text every path matching `pattern` starts with, and whether that is the whole route."""
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        fixed = route.partition("<")[0]
        return fixed, fixed == route
    # A regular expression (re_path): matched as a prefix from its include's start.
    return "", False


def public_page_paths(urlconf=None):
    """Where views marked with @cache_public_page answer: (exact paths, path prefixes).

    A route without converters gives its exact path ("/visit/"); one with converters, such as an
    article's slug, gives the fixed text before the first as a prefix ("/education/"). A prefix
    may also cover unmarked views: the middleware then looks their pages up and finds none.
    """
    paths, prefixes = set(), set()

    def walk(resolver, start, is_whole):
        for entry in resolver.url_patterns:
            fixed, is_whole_route = _fixed_start(entry.pattern)
            route, route_is_whole = start + fixed, is_whole and is_whole_route
            if isinstance(entry, URLResolver):
                walk(entry, route, route_is_whole)
            elif getattr(entry.callback, "is_public_page_view", False):
                (paths if route_is_whole else prefixes).add(f"/{route}")

    walk(get_resolver(urlconf), "", True)
    shortest = tuple(
        sorted(
            prefix
            for prefix in prefixes
            if not any(prefix.startswith(other) for other in prefixes - {prefix})
        )
    )
    return frozenset(paths), shortest
