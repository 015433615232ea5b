"""A page kept for one second only, for testing how cached pages end (see test_caching)."""

import time

from django.http import HttpResponse
from django.urls import path

from clinic.pagecache import cache_public_page


@cache_public_page(timeout=1)
def brief(request):
    return HttpResponse(f"<p>Rendered at {time.time_ns()}</p>")


urlpatterns = [path("education/brief/", brief)]
