"""The floor view behind the site's own settings and middleware (a diagnostic row).

The difference between this and bench.floor is what the middleware stack costs per request;
the difference between this and a cached page is what the page's own code costs.
"""

from bench.site_settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
