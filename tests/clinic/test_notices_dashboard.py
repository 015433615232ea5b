"""The owner's reminder on the admin home: unreviewed taglines, the list of languages."""

import datetime

import pytest
from django.urls import reverse

from tests.clinic.test_views import text_of
from tests.factories import make_front_desk_user, make_tagline

pytestmark = pytest.mark.django_db


def test_dashboard_lists_unreviewed_taglines_until_a_translator_review_is_entered(
    admin_client, practice
):
    spanish = make_tagline(language_code="es", english_name="Spanish")
    make_tagline(
        language_code="pt",
        english_name="Portuguese",
        language_name="Português",
        reviewed_by="Ana Souza, certified translator",
        reviewed_on=datetime.date(2026, 1, 5),
    )
    before = admin_client.get(reverse("admin:index"))
    spanish.reviewed_by = "Luis Ortega, ATA-certified"
    spanish.reviewed_on = datetime.date(2026, 1, 6)
    spanish.save()
    after = admin_client.get(reverse("admin:index"))

    change_url = reverse("admin:clinic_tagline_change", args=[spanish.pk])
    assert (
        "1 tagline not yet reviewed by a qualified translator (required for "
        "machine-translated text, 45 CFR 92.201): Spanish."
    ) in text_of(before)
    assert f'<a href="{change_url}">Spanish</a>' in before.content.decode()
    assert "not yet reviewed" not in text_of(after)
    assert "All 2 taglines reviewed by a qualified translator." in text_of(after)


def test_dashboard_asks_to_check_the_languages_against_the_hhs_list_for_massachusetts(
    admin_client, practice, taglines
):
    text = text_of(admin_client.get(reverse("admin:index")))
    assert (
        "Check the list of languages against the HHS Office for Civil Rights' list of the "
        "languages most spoken in Massachusetts by people with limited English (the rule "
        "asks for at least the top 15): 12 languages in 13 taglines now."
    ) in text
    assert "13 taglines not yet reviewed by a qualified translator" in text


def test_dashboard_says_nothing_about_taglines_to_staff_who_cannot_change_them(
    staff_client, practice, taglines
):
    desk = staff_client(make_front_desk_user())
    text = text_of(desk.get(reverse("admin:index")))
    assert "Today at the front desk" in text
    assert "tagline" not in text
