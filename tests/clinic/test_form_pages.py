"""The request form's page, rendered once and filled in per visit (clinic/form_pages.py).

What a patient must never notice: the kept page is the page a full render gives, carries their
own tokens, shows a staff edit at once (in every gunicorn worker), and never shows what another
patient typed.
"""

import pytest
from django.test import Client
from django.urls import resolve

from appointments.models import AppointmentRequest
from appointments.views import AppointmentRequestView
from clinic.form_pages import kept_pages
from clinic.models import Practice
from tests.factories import appointment_request_data
from tests.support.forms import hidden_fields
from tests.support.processes import FormClient

FORM_URL = "/appointments/request/"


@pytest.fixture(autouse=True)
def _no_kept_pages():
    kept_pages.clear()
    yield
    kept_pages.clear()


def full_render(rf, url, *, csrf_token, form_stamp):
    """The view's page rendered in full, as without kept pages, with these two tokens."""

    class FullRender(AppointmentRequestView):
        def setup(self, request, *args, **kwargs):
            super().setup(request, *args, **kwargs)
            self.form_page_generation = None  # what the mixin does without a generation

        def get_context_data(self, **kwargs):
            return {
                **super().get_context_data(**kwargs),
                "csrf_token": csrf_token,
                "form_stamp": form_stamp,
            }

    request = rf.get(url)
    request.resolver_match = resolve(request.path)
    response = FullRender.as_view()(request)
    return response.render().content.decode()


@pytest.mark.parametrize(
    "query", ["", "?article=neuropathic-pain"], ids=["plain", "from-an-article"]
)
def test_a_kept_page_is_byte_for_byte_a_full_render_with_its_tokens(
    client, rf, practice, query
):
    from tests.factories import make_article

    make_article(slug="neuropathic-pain")
    client.get(FORM_URL + query)  # rendered and kept
    assert len(kept_pages.pages) == 1
    kept = client.get(FORM_URL + query)
    assert kept.status_code == 200
    html = kept.content.decode()
    tokens = hidden_fields(html)
    assert html == full_render(
        rf,
        FORM_URL + query,
        csrf_token=tokens["csrfmiddlewaretoken"],
        form_stamp=tokens["form_stamp"],
    )
    if query:
        assert 'name="article" value="neuropathic-pain"' in html
    assert kept["Cache-Control"].startswith("max-age=0")
    assert "no-store" in kept["Cache-Control"]


def test_every_visit_gets_its_own_tokens_and_can_send_the_form(practice, settings):
    settings.REQUEST_MIN_FILL_SECONDS = 0
    visits = [Client(enforce_csrf_checks=True) for _ in range(3)]
    pages = [visitor.get(FORM_URL).content.decode() for visitor in visits]
    tokens = [hidden_fields(page) for page in pages]
    assert len({t["csrfmiddlewaretoken"] for t in tokens}) == 3
    assert len({t["form_stamp"] for t in tokens}) == 3
    # The last two were filled in from the page the first one rendered.
    for number, (visitor, hidden) in enumerate(zip(visits, tokens, strict=True)):
        response = visitor.post(
            FORM_URL,
            {**appointment_request_data(name=f"Patient {number}"), **hidden},
        )
        assert response.status_code == 303
    assert sorted(AppointmentRequest.objects.values_list("name", flat=True)) == [
        "Patient 0",
        "Patient 1",
        "Patient 2",
    ]


def test_a_form_with_errors_renders_in_full_and_is_never_shown_to_the_next_patient(
    client, practice
):
    client.get(FORM_URL)
    response = client.post(
        FORM_URL, appointment_request_data(name="Maria Typed-This", phone="12")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Maria Typed-This" in page and "Enter a phone number we can call" in page
    assert len(kept_pages.pages) == 1
    fresh = Client().get(FORM_URL).content.decode()
    assert "Maria Typed-This" not in fresh
    assert "Enter a phone number we can call" not in fresh


def test_a_practice_edit_shows_on_the_very_next_visit(client, practice):
    assert practice.phone_display in client.get(FORM_URL).content.decode()
    client.get(FORM_URL)
    practice = Practice.objects.get()
    practice.phone = "+16175550188"
    practice.save()
    page = client.get(FORM_URL).content.decode()
    assert "(617) 555-0188" in page


@pytest.mark.django_db(transaction=True)
def test_a_practice_edit_shows_in_every_gunicorn_worker_at_once(
    practice, tmp_path, settings
):
    from tests.support.processes import gunicorn_server

    with gunicorn_server(tmp_path / "gunicorn.log", workers=3) as server:
        # Enough visits for every worker to keep its own copy of the page.
        for _ in range(24):
            status, _, body = FormClient().request(server + FORM_URL)
            assert status == 200 and "(617) 720-2329" in body
        practice = Practice.objects.get()
        practice.phone = "+16175550177"
        practice.save()
        after = [FormClient().request(server + FORM_URL)[2] for _ in range(12)]
    assert all("(617) 555-0177" in body for body in after)
    assert not any("(617) 720-2329" in body for body in after)
