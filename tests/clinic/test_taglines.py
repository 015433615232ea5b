"""Language-assistance taglines and the practice's notice fields: the rules staff are held to."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.models import Tagline
from clinic.seed import TAGLINES
from tests.factories import make_tagline

pytestmark = pytest.mark.django_db


def test_seed_loads_every_required_language_unreviewed_and_each_passes_the_rules(
    taglines,
):
    for tagline in taglines:
        tagline.full_clean()
    assert [t.english_name for t in taglines] == [
        "Spanish",
        "Portuguese",
        "Chinese (Simplified)",
        "Chinese (Traditional)",
        "Haitian Creole",
        "Vietnamese",
        "Russian",
        "Arabic",
        "Khmer",
        "French",
        "Korean",
        "Cabo Verdean Creole",
        "Italian",
    ]
    assert {(t.is_reviewed, t.reviewed_by, t.source) for t in taglines} == {
        (
            False,
            "",
            "Drafted for this website after HHS's sample tagline (machine-assisted): not "
            "yet reviewed by a qualified translator.",
        )
    }
    assert list(Tagline.objects.unreviewed()) == taglines


def test_seed_again_keeps_staff_edits_and_does_not_bring_back_deleted_taglines(
    taglines,
):
    Tagline.objects.filter(language_code="es").update(text="Llame al {phone}.")
    Tagline.objects.filter(language_code="it").delete()
    call_command("load_seed", stdout=io.StringIO())
    assert Tagline.objects.get(language_code="es").text == "Llame al {phone}."
    assert not Tagline.objects.filter(language_code="it").exists()
    assert Tagline.objects.count() == len(TAGLINES) - 1


@pytest.mark.parametrize("tag", ["english", "es_ES", "xx-YY", "zh-Hanz", "es-"])
def test_a_language_tag_html_checkers_would_reject_is_refused(tag):
    tagline = Tagline(
        language_code=tag, english_name="X", language_name="X", text="{phone}"
    )
    with pytest.raises(ValidationError) as error:
        tagline.full_clean()
    assert error.value.message_dict["language_code"] == [
        f"“{tag}” is not a language tag. Use a BCP 47 tag such as es (Spanish), pt "
        "(Portuguese), zh-Hant (Chinese, Traditional), ht (Haitian Creole) or ar (Arabic)."
    ]


def test_a_language_tag_is_stored_in_its_standard_spelling():
    tagline = Tagline(
        language_code="ZH-hant",
        english_name="Chinese (Traditional)",
        language_name="繁體中文",
        text="請致電 {phone}。",
    )
    tagline.full_clean()
    assert tagline.language_code == "zh-Hant"


def test_arabic_set_left_to_right_is_refused_with_the_direction_to_choose():
    tagline = Tagline(
        language_code="ar",
        english_name="Arabic",
        language_name="العربية",
        text="اتصل برقم {phone}.",
        direction="ltr",
    )
    with pytest.raises(ValidationError) as error:
        tagline.full_clean()
    assert error.value.message_dict == {
        "direction": [
            "This language is written right to left: choose “Right to left (Arabic, "
            "Farsi, Hebrew, Urdu…)”."
        ]
    }


@pytest.mark.parametrize("text", ["Llame al 617-720-2329.", "{phone} o {phone}"])
def test_a_tagline_needs_the_phone_placeholder_exactly_once(text):
    tagline = Tagline(
        language_code="es", english_name="Spanish", language_name="Español", text=text
    )
    with pytest.raises(ValidationError) as error:
        tagline.full_clean()
    assert error.value.message_dict == {
        "text": ["Write {phone} once, where the practice's phone number goes."]
    }


def test_a_review_needs_both_the_reviewer_and_the_date():
    tagline = make_tagline()
    tagline.reviewed_by = "Ana Souza, certified translator"
    with pytest.raises(ValidationError) as error:
        tagline.full_clean()
    assert error.value.message_dict == {
        "reviewed_on": [
            "Enter both the reviewer and the date of the review, or leave both empty."
        ]
    }


def test_changing_a_reviewed_text_asks_for_a_new_review_date():
    tagline = make_tagline(
        reviewed_by="Ana Souza, certified translator",
        reviewed_on=datetime.date(2026, 1, 5),
    )
    tagline.text = "Llame al {phone}, por favor."
    with pytest.raises(ValidationError) as error:
        tagline.full_clean()
    assert error.value.message_dict == {
        "reviewed_on": [
            "The text changed after its review: enter the date a translator reviewed "
            "the new text, or empty the reviewer and the date."
        ]
    }
    tagline.reviewed_on = datetime.date(2026, 2, 1)
    tagline.full_clean()


@pytest.mark.parametrize(
    "fields",
    [
        {"direction": "up"},
        {"text": "Llame al 617-720-2329."},
        {"reviewed_by": "Ana Souza"},
        {"reviewed_on": datetime.date(2026, 1, 5)},
    ],
)
def test_the_database_refuses_taglines_that_break_the_rules(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_tagline(**fields)


def test_coordinator_contact_details_without_a_name_are_refused_with_a_reason(practice):
    practice.section_1557_coordinator_email = "civilrights@example.com"
    with pytest.raises(ValidationError) as error:
        practice.full_clean()
    assert error.value.message_dict == {
        "section_1557_coordinator": [
            "Enter the coordinator's name and title, or leave the coordinator's phone "
            "and email empty."
        ]
    }


def test_admin_tagline_list_shows_each_name_in_its_own_language(admin_client, taglines):
    response = admin_client.get(
        reverse("admin:clinic_tagline_changelist") + "?reviewed=no"
    )
    body = response.content.decode()
    assert '<span lang="ar" dir="rtl">العربية</span>' in body
    assert '<span lang="zh-Hant" dir="ltr">繁體中文</span>' in body
    assert len(response.context["cl"].result_list) == len(TAGLINES)


def test_admin_add_form_explains_a_bad_language_tag_instead_of_failing(admin_client):
    response = admin_client.post(
        reverse("admin:clinic_tagline_add"),
        {
            "language_code": "spanish",
            "english_name": "Spanish",
            "language_name": "Español",
            "direction": "ltr",
            "sort_order": "10",
            "text": "Llame al {phone}.",
            "source": "",
            "reviewed_by": "",
            "reviewed_on": "",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "language_code": [
            "“spanish” is not a language tag. Use a BCP 47 tag such as es (Spanish), pt "
            "(Portuguese), zh-Hant (Chinese, Traditional), ht (Haitian Creole) or ar "
            "(Arabic)."
        ]
    }
    assert not Tagline.objects.exists()


def test_staff_fill_in_the_coordinator_and_languages_on_the_practice_form(
    admin_client, practice
):
    from tests.clinic.test_admin import CHANGE_URL, change_form_data

    response = admin_client.post(
        CHANGE_URL,
        change_form_data(
            practice,
            languages_spoken="English and Italian",
            section_1557_coordinator="Maria Rossi, Office Manager",
            section_1557_coordinator_phone="(617) 555-0100",
            section_1557_coordinator_email="civilrights@example.com",
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    practice.refresh_from_db()
    assert (
        practice.languages_spoken,
        practice.section_1557_coordinator,
        practice.coordinator_phone_e164,
        practice.section_1557_coordinator_email,
    ) == (
        "English and Italian",
        "Maria Rossi, Office Manager",
        "+16175550100",
        "civilrights@example.com",
    )


def test_practice_form_refuses_a_coordinator_email_without_a_name(
    admin_client, practice
):
    from tests.clinic.test_admin import CHANGE_URL, change_form_data

    response = admin_client.post(
        CHANGE_URL,
        change_form_data(practice, section_1557_coordinator_email="x@example.com"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "section_1557_coordinator": [
            "Enter the coordinator's name and title, or leave the coordinator's phone "
            "and email empty."
        ]
    }
