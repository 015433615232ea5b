import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clinic.models import Practice
from tests.factories import make_staff_user

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("admin:clinic_practice_change", args=[1])


def change_form_data(practice, **overrides):
    """What the practice change form posts, with the two inlines empty unless overridden."""
    data = {
        "name": practice.name,
        "practitioner_name": practice.practitioner_name,
        "practitioner_credentials": practice.practitioner_credentials,
        "street_address": practice.street_address,
        "neighbourhood": practice.neighbourhood,
        "city": practice.city,
        "state": practice.state,
        "postal_code": practice.postal_code,
        "phone": practice.phone_e164,
        "email": practice.email,
        "is_accepting_online_requests": "on",
        "online_requests_closed_message": "",
        "request_min_notice_hours": "",
        "request_horizon_days": "",
        "request_retention_days": "",
        "online_booking": "off",
        "copyright_notice": practice.copyright_notice,
    }
    for prefix in ("opening_hours", "closures"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data | overrides


def test_staff_edit_of_phone_hours_and_closure_shows_on_the_next_page_load(
    admin_client, client, practice
):
    client.get(reverse("visit"))  # the practice record is now cached
    next_year = datetime.date.today().year + 1
    response = admin_client.post(
        CHANGE_URL,
        change_form_data(
            practice,
            phone="(617) 720-0000",
            **{
                "opening_hours-TOTAL_FORMS": "1",
                "opening_hours-0-weekday": "0",
                "opening_hours-0-opens_at": "09:00",
                "opening_hours-0-closes_at": "17:00",
                "closures-TOTAL_FORMS": "1",
                "closures-0-start_date": f"{next_year}-07-04",
                "closures-0-end_date": f"{next_year}-07-04",
                "closures-0-public_note": "Independence Day",
            },
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    body = client.get(reverse("visit")).content.decode()
    assert 'href="tel:+16177200000"' in body
    assert "<dt>Monday</dt>\n    <dd>9:00 AM – 5:00 PM</dd>" in body
    assert f"Closed Jul 4, {next_year}: Independence Day" in body
    assert "Call us for current hours" not in body


def test_admin_explains_closing_time_before_opening_time(admin_client, practice):
    response = admin_client.post(
        CHANGE_URL,
        change_form_data(
            practice,
            **{
                "opening_hours-TOTAL_FORMS": "1",
                "opening_hours-0-weekday": "0",
                "opening_hours-0-opens_at": "17:00",
                "opening_hours-0-closes_at": "09:00",
            },
        ),
    )
    [inline] = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.prefix == "opening_hours"
    ]
    assert inline.formset.errors == [
        {"closes_at": ["Closing time must be after opening time."]}
    ]
    assert list(practice.opening_hours.all()) == []


def test_practice_list_goes_straight_to_the_one_record(admin_client, practice):
    response = admin_client.get(reverse("admin:clinic_practice_changelist"))
    assert (response.status_code, response["Location"]) == (302, CHANGE_URL)


def test_admin_refuses_a_second_practice_record_and_deletion(admin_client, practice):
    add = admin_client.get(reverse("admin:clinic_practice_add"))
    delete = admin_client.post(
        reverse("admin:clinic_practice_delete", args=[1]), {"post": "yes"}
    )
    change_page = admin_client.get(CHANGE_URL).content.decode()
    assert (add.status_code, delete.status_code) == (403, 403)
    assert "deletelink" not in change_page
    assert list(Practice.objects.all()) == [practice]


def test_admin_offers_to_add_the_practice_when_none_exists(admin_client):
    response = admin_client.get(reverse("admin:clinic_practice_changelist"))
    assert response.status_code == 200
    assert reverse("admin:clinic_practice_add") in response.content.decode()


def test_only_staff_allowed_to_add_it_may_add_the_practice_record(staff_client):
    viewer = make_staff_user()
    viewer.user_permissions.add(Permission.objects.get(codename="view_practice"))
    client = staff_client(viewer)

    add_page = client.get(reverse("admin:clinic_practice_add"))
    posted = client.post(reverse("admin:clinic_practice_add"), {"name": "Someone else"})

    assert (add_page.status_code, posted.status_code) == (403, 403)
    assert Practice.objects.count() == 0
