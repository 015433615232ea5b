import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_shows_practice_name_address_and_click_to_call(client, practice):
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dr. Jeffrey I. Kennis, D.C." in body
    assert "205 Commercial St" in body
    assert "Boston, MA 02109" in body
    assert 'href="tel:+16177202329"' in body


def test_pages_say_call_us_when_staff_have_not_entered_hours(client, practice):
    response = client.get(reverse("visit"))
    assert "Call us for current hours" in response.content.decode()


def test_staff_edit_of_practice_shows_on_next_page_load(client, practice):
    client.get(reverse("home"))
    practice.street_address = "207 Commercial St"
    practice.save()
    assert "207 Commercial St" in client.get(reverse("home")).content.decode()


def test_healthz_answers_ok_with_the_database_up(client):
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()) == (200, {"database": "ok"})
