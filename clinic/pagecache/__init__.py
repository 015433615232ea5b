"""Rendered public pages in the shared cache, invalidated by a generation, not by expiry.

Every staff change to what these pages show (articles, references, topics, symptoms, the practice
record) bumps one generation number; cached pages and ETags carry it, so the very next request
renders afresh. The state also records when the next scheduled article goes live: cached pages
never outlive that moment, so a scheduled article appears on time, cache or not.

Views opt in with @cache_public_page, which marks a response as shareable only if it holds no
per-visitor content (no CSRF token, no CSP nonce, no cookie). PublicPageCacheMiddleware, the
outermost middleware, stores marked pages with their headers and serves them back before any
other middleware runs. A hit needs no Redis round trip: each process keeps the pages it has
served and the generation, which Redis's key tracking invalidates the moment staff change it.
"""

from .decorators import cache_public_page
from .generation import add_next_change, bump_generation

__all__ = ["add_next_change", "bump_generation", "cache_public_page"]
