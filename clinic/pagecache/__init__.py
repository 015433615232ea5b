"""Rendered public pages in the shared cache, invalidated by a generation, not by expiry.

Every staff change to what these pages show (articles, references, topics, symptoms, the practice
record) bumps one generation number; cached pages and ETags carry it, so the very next request
renders afresh. The state also records when the next scheduled article goes live: cached pages
never outlive that moment, so a scheduled article appears on time, cache or not.

Views opt in with @cache_public_page, which marks a response as shareable only if it holds no
per-visitor content (no cookie, no CSRF token, no CSP nonce, and rendering read neither the
session, the user nor their messages). A page's key is its path plus the query parameters its
view declares (`query=("q", "page")`); the view sees only those, and any other query string is
served the canonical page, so made-up URLs cannot fill Redis. PublicPageCacheMiddleware, the
outermost middleware, stores marked pages with their headers and serves them back before any
other middleware runs. A hit needs no Redis round trip: each process keeps the pages it has
served and the generation, which Redis's key tracking invalidates the moment staff change it.

The mechanism knows no app; each app plugs in with three names from here:
- @cache_public_page on a view (or around it in a urls.py path()), with `query=` naming the
  parameters it reads: nothing else makes a page cacheable, since the middleware finds the
  marked views' paths and parameters in the URLconf at start-up;
- bump_generation() from the app's signal receivers, whenever its public content changes;
- add_next_change(callable) for content that changes on its own at a known time (education's
  scheduled articles): no cached page outlives the earliest moment these callables give.

Modules: backend (the fail-open Redis cache), tracking (a Redis key kept in each process),
generation (the state, bumps, expiry), decorators (the opt-in), middleware (store and serve).
"""

from .decorators import cache_public_page
from .generation import add_next_change, bump_generation

__all__ = ["add_next_change", "bump_generation", "cache_public_page"]
