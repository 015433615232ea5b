"""Whatever a client sends to a public URL, the answer is the page or a 4xx, never a 500.

Hostile input in every place a request carries it: the query string (NUL, invalid UTF-8,
overlong and double encodings, huge values), the path, headers and cookies. The URL list is
checked against the URLconf, so a new public route joins the property test or fails it.
"""

import datetime
import urllib.parse

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appointments.models import WaitlistEntry, WaitlistOffer
from education.models import Symptom
from tests.factories import (
    make_article,
    make_opening_hours,
    make_topic,
    make_visit,
    make_visit_type,
)

pytestmark = pytest.mark.django_db

# Every route outside the admin, with the parameters its view reads (and some it does not).
PUBLIC_ROUTES = {
    "": [],
    "about/": [],
    "visit/": [],
    "privacy/": [],
    "accessibility/": [],
    "language-assistance/": [],
    "nondiscrimination/": [],
    "healthz": [],
    "robots.txt": [],
    ".well-known/security.txt": [],
    "sitemap.xml": ["p"],
    "education/": [],
    "education/search/": ["q", "page"],
    "education/symptoms/": [],
    "education/topics/<slug:slug>/": ["page"],
    "education/feed/": [],
    "education/preview/<int:pk>/": [],
    "education/preview/<int:pk>/draft/": [],
    "education/preview/unsaved/": [],
    "education/feedback/": [],
    "education/feedback/<uuid:public_id>/": [],
    "education/<slug:slug>/": [],
    "appointments/request/": ["article"],
    "appointments/request/received/": [],
    "appointments/book/": [],
    "appointments/book/times/": ["patient_type", "visit_type", "from"],
    "appointments/book/details/": ["patient_type", "visit_type", "time", "article"],
    "appointments/book/held/": [],
    "contact/": [],
    "contact/received/": [],
    "appointments/visits/cancel/<str:token>/": [],
    "appointments/visits/move/<str:token>/": ["from", "time"],
    "appointments/visits/earlier/<str:token>/": ["earliest_day", "latest_day", "leave"],
    "appointments/visits/earlier-time/<str:token>/": [],
}
OTHER_PARAMETERS = ["utm_source", "next", "p", "q", "page", "article", "x" * 300, ""]
HEADERS = [
    "user-agent",
    "referer",
    "accept",
    "accept-language",
    "accept-encoding",
    "if-none-match",
    "if-modified-since",
    "range",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "origin",
    "host",
]
COOKIES = ["sessionid", "csrftoken", "messages", "__Secure-sessionid", "x"]

NASTY = [
    "\x00",
    "a\x00b",
    "%00",
    "%ff%fe",
    "%c0%80",
    "%ed%a0%80",
    "%2500",
    "\ufeff",
    "\u202e",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "'\"; DROP TABLE x;--",
    "9" * 5000,
    "-1",
    "0",
    "1e9",
    "x" * 20_000,
]


def _routes(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) != "admin":
                yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def test_the_list_covers_every_public_route_in_the_urlconf():
    assert set(_routes(get_resolver())) == set(PUBLIC_ROUTES)


@pytest.fixture
def site(practice):
    """Real rows behind every route with a slug or token, so those pages render for real."""
    topic = make_topic(slug="nerve-pain")
    article = make_article(slug="burning-feet", topics=[topic])
    Symptom.objects.create(name="Burning", slug="burning").articles.add(article)
    visit = make_visit()
    # Online booking on, so that its pages run for real rather than saying it is off.
    practice.online_booking = "hold"
    practice.hold_hours = 24
    practice.online_booking_horizon_days = 30
    practice.save()
    make_opening_hours(practice)
    make_visit_type(pk=1, name="Exam", is_bookable_online=True)
    later = make_visit(
        practitioner=visit.practitioner,
        starts_at=visit.starts_at + datetime.timedelta(days=2),
    )
    entry = WaitlistEntry.objects.create(
        visit=later,
        earliest_day=timezone.localdate(),
        latest_day=timezone.localdate(later.starts_at),
    )
    offer = WaitlistOffer.objects.create(
        entry=entry, practitioner=visit.practitioner, starts_at=visit.starts_at
    )
    return {
        "<slug:slug>": {
            "education/topics/<slug:slug>/": topic.slug,
            "education/<slug:slug>/": article.slug,
        },
        "<int:pk>": str(article.pk),
        "<str:token>": {
            "appointments/visits/earlier-time/<str:token>/": offer.token,
        },
        "visit_token": visit.cancel_token,
    }


def concrete_path(route, site):
    path = route.replace("<slug:slug>", site["<slug:slug>"].get(route, "x"))
    path = path.replace("<int:pk>", site["<int:pk>"])
    token = site["<str:token>"].get(route, site["visit_token"])
    return "/" + path.replace("<str:token>", token)


# Text a client can put in a URL: anything, percent-encoded as bytes, invalid UTF-8 included.
url_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.binary(max_size=40).map(urllib.parse.quote_from_bytes),
)
# Header and cookie values reach Django as latin-1 text (WSGI), NUL included; some as long as a
# session key, so that the session store really looks them up.
latin1 = st.characters(max_codepoint=255)
header_text = st.one_of(
    st.sampled_from([value for value in NASTY if value.isascii()]),
    st.text(latin1, max_size=60),
    st.text(latin1, min_size=32, max_size=40),
)


def raw_query(pairs):
    return "&".join(
        f"{urllib.parse.quote(name, safe='%')}={urllib.parse.quote(value, safe='%')}"
        for name, value in pairs
    )


@st.composite
def hostile_requests(draw):
    route = draw(st.sampled_from(sorted(PUBLIC_ROUTES)))
    names = st.sampled_from(PUBLIC_ROUTES[route] + OTHER_PARAMETERS) | st.text(
        max_size=10
    )
    return {
        "route": route,
        "method": draw(st.sampled_from(["GET", "HEAD", "POST"])),
        "query": draw(st.lists(st.tuples(names, url_text), max_size=3)),
        # Most examples keep the real path, so that the view behind it runs.
        "path_suffix": draw(st.sampled_from([None] * 4) | url_text),
        "headers": draw(
            st.dictionaries(st.sampled_from(HEADERS), header_text, max_size=2)
        ),
        "cookies": draw(
            st.lists(st.tuples(st.sampled_from(COOKIES), header_text), max_size=2)
        ),
    }


def send(client, site, example):
    path = concrete_path(example["route"], site)
    if example["path_suffix"] is not None:
        path += urllib.parse.quote(example["path_suffix"], safe="%/")
    # The view's own parameters with ordinary values first; the hostile ones may repeat them.
    parameters = [(name, "1") for name in PUBLIC_ROUTES[example["route"]]]
    parameters += example["query"]
    headers = dict(example["headers"])
    if example["cookies"]:
        headers["cookie"] = "; ".join(
            f"{name}={value}" for name, value in example["cookies"]
        )
    url = f"{path}?{raw_query(parameters)}" if parameters else path
    return client.generic(example["method"], url, headers=headers)


@pytest.fixture
def generous_limits(settings):
    settings.REQUEST_RATE_LIMIT = settings.REQUEST_POST_RATE_LIMIT = "100000/m"


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=hostile_requests())
def test_no_input_anywhere_makes_a_public_url_fail_with_a_server_error(
    site, generous_limits, example
):
    client = Client(raise_request_exception=False)
    response = send(client, site, example)
    assert response.status_code < 500, (response.status_code, example)


@pytest.mark.parametrize(
    "url",
    [
        "/appointments/request/?article=%00",
        "/education/search/?q=%00",
        "/education/search/?q=nerve&page=%00",
        "/education/topics/nerve-pain/?page=1%00",
        "/visit/?utm_source=%00",
        "/education/%00/",
    ],
)
def test_a_nul_character_in_the_url_answers_a_plain_400_page(client, site, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"cookie": "sessionid=abc\x00def12345"},
        {"user-agent": "Mozilla/5.0\x00"},
        {"referer": "https://example.com/\x00"},
    ],
)
def test_a_nul_character_in_a_header_or_cookie_answers_400(client, site, headers):
    response = client.get("/appointments/request/", headers=headers)
    assert response.status_code == 400


def test_a_nul_in_the_user_agent_of_a_sign_in_is_refused_not_logged_as_a_500(
    client, site
):
    response = client.post(
        "/admin/login/",
        {"username": "someone", "password": "wrong-password-123"},
        headers={"user-agent": "curl\x00"},
    )
    assert response.status_code == 400


def test_a_content_length_that_is_not_a_number_answers_400(client, site):
    response = client.post(
        "/contact/", b"name=x", content_type="text/plain", CONTENT_LENGTH="ten"
    )
    assert response.status_code == 400
