"""@cache_public_page, a view's opt-in to the page cache, and where the URLconf uses it.

Marking the view is all a page needs: PublicPageCacheMiddleware finds the marked views' paths in
the URLconf once, when it is created (public_page_paths), and at request time only checks the
path against that table, without resolving the URL. The view also declares the query parameters
it reads (`query=("q", "page")`): a page's key is its path and those parameters only, so
`?utm_source=...` and any other junk is served the canonical page and never stored apart.
"""

import functools

from django.http import QueryDict
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils.functional import empty

from .generation import PAGE_TIMEOUT


def _has_read_the_visitor(request):
    """Whether rendering looked at anything of this visitor's: their session, user, messages."""
    session = getattr(request, "session", None)
    if session is not None and session.accessed:
        return True
    # Reading request.user reads the session too; checked anyway, in case a user was set by hand.
    user = getattr(request, "user", None)
    if getattr(user, "_wrapped", empty) is not empty or hasattr(
        request, "_cached_user"
    ):
        return True
    return getattr(getattr(request, "_messages", None), "used", False)


def _is_shareable(request, response):
    nonce = getattr(request, "_csp_nonce", None)
    nonce_used = nonce is not None and nonce._wrapped is not empty
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not nonce_used
        and not _has_read_the_visitor(request)
    )


def _declared_only(query_dict, names):
    declared = QueryDict(mutable=True)
    for name in names:
        if name in query_dict:
            declared.setlist(name, query_dict.getlist(name))
    declared._mutable = False
    return declared


def cache_public_page(view=None, *, timeout=PAGE_TIMEOUT, query=()):
    """Let PublicPageCacheMiddleware share this view's pages between visitors.

    `query` names every query parameter the view reads; the page's cache key holds the path and
    those parameters' values, and nothing else of the query string. `timeout` bounds how long an
    unchanged page is kept (pages are invalidated on any edit regardless); keep it short for
    pages with endless URLs, such as search results.
    """
    if isinstance(query, str):
        raise TypeError("query is a tuple of parameter names, e.g. query=('q',)")
    query = tuple(query)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.GET:
                # The view sees only what its key holds: a parameter read but not declared is
                # missing here at once, rather than served from another page's cache entry.
                request.GET = _declared_only(request.GET, query)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            response.is_public_page = _is_shareable(request, response)
            response.public_page_timeout = timeout
            response.public_page_query = query
            return response

        wrapped.is_public_page_view = True
        wrapped.public_page_query = query
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
    """Where views marked with @cache_public_page answer, and the parameters each reads.

    Returns ({exact path: parameters}, ((path prefix, parameters), ...) longest prefix first).
    A route without converters gives its exact path ("/visit/"); one with converters, such as an
    article's slug, gives the fixed text before the first as a prefix ("/education/"). The
    longest matching prefix names the parameters, so "/education/topics/" (page) wins over
    "/education/" (none) for a topic. A prefix may also cover unmarked views, or a marked view
    whose parameters differ: the middleware then looks their pages up, finds none, and stores
    nothing (it stores only what the view itself declared it was keyed by).
    """
    paths, prefixes = {}, {}

    def walk(resolver, start, is_whole):
        for entry in resolver.url_patterns:
            fixed, is_whole_route = _fixed_start(entry.pattern)
            route, route_is_whole = start + fixed, is_whole and is_whole_route
            if isinstance(entry, URLResolver):
                walk(entry, route, route_is_whole)
            elif getattr(entry.callback, "is_public_page_view", False):
                query = entry.callback.public_page_query
                if route_is_whole:
                    paths.setdefault(f"/{route}", query)
                else:
                    # Several views under one prefix: the union, in declaration order.
                    known = prefixes.get(f"/{route}", ())
                    prefixes[f"/{route}"] = known + tuple(
                        name for name in query if name not in known
                    )

    walk(get_resolver(urlconf), "", True)
    longest_first = tuple(
        sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True)
    )
    return paths, longest_first
