"""The framework's floor: Django answering a static 15 KB page, no database, no middleware.

Served by gunicorn with the same settings as the site, so the ratio of a page's throughput to
this one says how much the page costs on top of Django itself on this machine.
"""

from django.core.wsgi import get_wsgi_application
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

PAGE = (
    "<!doctype html><html lang=en><title>Floor</title><p>"
    + ("Static text served without a database. " * 400)[: 15 * 1024 - 60]
    + "</p></html>"
).encode()


def floor(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("", floor)]

application = get_wsgi_application()
