"""The framework's floor: Django answering a static 15 KB page, no database, no middleware.

Served by gunicorn with the same settings as the site (DJANGO_SETTINGS_MODULE=bench.floor with
clinic.wsgi), so the ratio of a page's throughput to this one says how much the page costs on
top of Django itself on this machine. bench/floor_middleware.py serves the same view through the
site's own settings and middleware, to tell the middleware's share from the page's.
"""

import html
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "bench-floor-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.floor"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def _page(size=15 * 1024):
    # Real prose rather than one repeated phrase, so that its compressed size is realistic too.
    seed = Path(__file__).resolve().parent.parent / "seed" / "neuropathic-pain.txt"
    paragraphs = [
        p.strip() for p in seed.read_text(encoding="utf-8").split("\n\n") if p.strip()
    ]
    body = "<!doctype html><html lang=en><title>Floor</title>"
    index = 0
    while len(body.encode()) < size - 200:
        body += f"<p>{index} {html.escape(paragraphs[index % len(paragraphs)])}</p>\n"
        index += 1
    return (body + "</html>").encode().ljust(size)[:size]


PAGE = _page()


def floor(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("", floor)]
