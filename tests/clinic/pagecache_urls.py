"""Pages for tests/clinic/test_pagecache.py: where marked views answer, and how long they live."""

import time

from django.http import HttpResponse
from django.urls import path

from clinic.pagecache import cache_public_page


def rendered_at(request, **kwargs):
    return HttpResponse(f"<p>Rendered at {time.time_ns()}</p>")


urlpatterns = [
    path("language-help/", cache_public_page(rendered_at)),
    path("notes/<slug:slug>/", cache_public_page(rendered_at)),
    # Kept for one second only, for testing how cached pages end.
    path("brief/", cache_public_page(rendered_at, timeout=1)),
    path("unmarked/", rendered_at),
]
