"""Pages for tests/clinic/test_pagecache.py: where marked views answer, what they read, how long
they live, and what makes a page the visitor's own (never stored)."""

import time

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path

from clinic.pagecache import cache_public_page


def rendered_at(request, **kwargs):
    return HttpResponse(f"<p>Rendered at {time.time_ns()}</p>")


def what_it_sees(request, **kwargs):
    return HttpResponse(f"<p>{sorted(request.GET.lists())} at {time.time_ns()}</p>")


def sets_a_cookie(request):
    response = rendered_at(request)
    response.set_cookie("seen", "yes")
    return response


def reads_the_session(request):
    return HttpResponse(f"<p>{request.session.get('name', 'Guest')}</p>")


def reads_the_user(request):
    return HttpResponse(f"<p>{request.user.get_username() or 'Guest'}</p>")


def carries_a_csrf_token(request):
    return HttpResponse(
        f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">'
    )


def carries_a_nonce(request):
    template = engines["django"].from_string(
        "<script{% csp_nonce_attr %} type=module></script>"
    )
    return TemplateResponse(request, template, {})


def shows_messages(request):
    return HttpResponse(
        f"<p>{[str(message) for message in messages.get_messages(request)]}</p>"
    )


urlpatterns = [
    path("language-help/", cache_public_page(rendered_at)),
    path("notes/<slug:slug>/", cache_public_page(rendered_at)),
    # Kept for one second only, for testing how cached pages end.
    path("brief/", cache_public_page(rendered_at, timeout=1)),
    path("unmarked/", rendered_at),
    path("listing/", cache_public_page(what_it_sees, query=("page", "sort"))),
    # Two views under one prefix that read different parameters.
    path("shelf/<slug:slug>/", cache_public_page(what_it_sees)),
    path("shelf/<slug:slug>/pages/", cache_public_page(what_it_sees, query=("page",))),
    path("own/cookie/", cache_public_page(sets_a_cookie)),
    path("own/session/", cache_public_page(reads_the_session)),
    path("own/user/", cache_public_page(reads_the_user)),
    path("own/csrf/", cache_public_page(carries_a_csrf_token)),
    path("own/nonce/", cache_public_page(carries_a_nonce)),
    path("own/messages/", cache_public_page(shows_messages)),
]
