"""Form pages rendered once per process and content, then filled in with each visit's tokens.

A public form's page is the same for every visitor but for a few values of that visit: the CSRF
token and the form's own signed one-time token. The page cache cannot share such a page, and
rendering its ~30 inputs through Django's widget templates costs about 20 ms on a small machine.
So a view with CachedFormPageMixin renders an unbound form's page once with a marker in place of
each per-visit value, keeps the HTML in this process, and answers later visits by putting each
visit's values where the markers were: the same bytes a full render with those values gives
(tests/clinic/test_form_pages.py checks it).

A kept page is used only while everything it shows is unchanged, so its key holds:
- the page cache's generation (clinic.pagecache), which every staff change to what public pages
  show bumps: the practice record and its hours and closures, articles, taglines. It is read
  before the view reads any of these (in setup()), as the page cache reads it before rendering:
  a page rendered from the old rows is never kept under the new generation. Each process knows
  the generation without a Redis round trip and learns of a bump before the staff member's save
  returns, so the very next request to any worker shows the change;
- the deployment (the static files' manifest hash: the stylesheets' URLs);
- the Boston date (the date inputs' earliest day, the footer's upcoming closures);
- the URL (scheme, host, path: the canonical link, the current menu item), the template, and
  the form's initial values (e.g. the article a request comes from).
Without a generation (Redis down) every visit renders in full, as the page cache then does.

Only a first visit's unbound form is kept: a form with errors, a POST, and any other page render
as always. The mixin suits a page that shows nothing else that changes: a view whose page also
depends on something else (free appointment times, say) adds it in form_page_key() or does not
use the mixin.
"""

import functools
import re
import secrets
import threading
from collections import OrderedDict

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import escape

from .pagecache.generation import current_state, is_fresh, read_state

# Markers no template can produce by chance: new random ones in each process.
CSRF_MARK = f"formpagecsrf{secrets.token_hex(16)}"


@functools.cache
def marker(name):
    """The marker that stands for the context value `name` in a kept page."""
    return f"formpage{re.sub(r'[^a-z0-9]', '', name.lower())}{secrets.token_hex(16)}"


class _KeptPages:
    """This process's rendered form pages by key: ((text, marker, text, ..., text), type)."""

    max_pages = 256

    def __init__(self):
        self.pages = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key, page):
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.max_pages:
                self.pages.popitem(last=False)

    def clear(self):
        with self.lock:
            self.pages.clear()


kept_pages = _KeptPages()


def _deployment_tag():
    return getattr(staticfiles_storage, "manifest_hash", "")


def fill(parts, values):
    """The page with each marker replaced by its value, escaped as the template escapes it."""
    return "".join(
        escape(values[part]) if index % 2 else part for index, part in enumerate(parts)
    )


class CachedFormPageMixin:
    """For a FormView: an unbound form's page rendered once, then filled in per visit.

    `per_visit_context` names the context values that differ on every visit besides the CSRF
    token (e.g. "form_stamp"); each is a string the template shows as it is (escaped).
    """

    per_visit_context = ()

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Before the view reads the practice record or anything else the page shows.
        self.form_page_generation = None
        if request.method == "GET":
            state = read_state()
            if not is_fresh(state):
                state = current_state()
            if state is not None:
                self.form_page_generation = state["generation"]

    def form_page_key(self):
        """What the page shows besides the generation and the deployment; extend as needed.

        Computed before the form is built (a kept page spares building it): the initial values
        the view gives the form, the Boston date, the URL and the template.
        """
        request = self.request
        return (
            timezone.localdate(),
            request.scheme,
            request.get_host(),
            request.path,
            tuple(self.get_template_names()),
            tuple(
                sorted(
                    (name, repr(value)) for name, value in self.get_initial().items()
                )
            ),
        )

    def get_context_data(self, **kwargs):
        self.kept_page = self.kept_page_key = None
        if self.form_page_generation is not None and "form" not in kwargs:
            self.kept_page_key = (
                self.form_page_generation,
                _deployment_tag(),
                *self.form_page_key(),
            )
            self.kept_page = kept_pages.get(self.kept_page_key)
            if self.kept_page is not None:
                # The page is kept: no form to build, only this visit's values to give.
                return {"view": self}
        return super().get_context_data(**kwargs)

    def render_to_response(self, context, **response_kwargs):
        form = context.get("form")
        kept_page = getattr(self, "kept_page", None)
        key = getattr(self, "kept_page_key", None)
        if kept_page is None and (
            key is None or self.request.method != "GET" or form is None or form.is_bound
        ):
            return super().render_to_response(context, **response_kwargs)
        values = {CSRF_MARK: get_token(self.request)}
        values.update({marker(name): context[name] for name in self.per_visit_context})
        if kept_page is not None:
            parts, content_type = kept_page
            return HttpResponse(
                fill(parts, values),
                content_type=content_type,
                status=response_kwargs.get("status", 200),
            )
        marked = {**context, "csrf_token": CSRF_MARK}
        marked.update({name: marker(name) for name in self.per_visit_context})
        response = super().render_to_response(marked, **response_kwargs).render()
        pattern = "(" + "|".join(re.escape(mark) for mark in values) + ")"
        parts = tuple(re.split(pattern, response.content.decode(response.charset)))
        # Unless the Boston date turned while rendering: then the next visit renders again.
        if self.form_page_key() == key[2:]:
            kept_pages.put(key, (parts, response["Content-Type"]))
        response.content = fill(parts, values)
        response.context_data = context
        return response
