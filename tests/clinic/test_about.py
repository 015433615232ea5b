"""The About page and the practice's "about" fields: shown only once staff fill them in."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import Practice
from tests.factories import make_staff_user

pytestmark = pytest.mark.django_db

BIO = (
    "I have helped people in the North End with back and nerve pain for many years. "
    "I listen first, explain what I find, and we agree a plan together."
)


def text_of(response):
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def jsonld_of(response):
    [block] = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>',
        response.content.decode(),
        flags=re.S,
    )
    return json.loads(block)


def fill_in(practice, **fields):
    values = {
        "practitioner_bio": BIO,
        "practitioner_qualifications": "Doctor of Chiropractic\n\nLicensed in Massachusetts",
        "conditions_treated": "Neck pain\nSciatica",
        "first_visit": "Plan on an hour.\n\nBring a list of your medicines.",
        "insurance_and_payment": "Call us to check your plan.",
        "parking_and_transit": "Metered parking on Commercial St.",
    } | fields
    for name, value in values.items():
        setattr(practice, name, value)
    practice.save()
    return practice


def test_before_staff_fill_anything_in_nothing_is_invented(client, practice):
    about = text_of(client.get(reverse("about")))
    assert about.startswith("About Dr. Jeffrey I. Kennis, D.C.")
    assert "will appear here soon" in about
    for heading in [
        "Qualifications",
        "Conditions treated",
        "Your first visit",
        "Insurance",
    ]:
        assert heading not in about
    assert "<img" not in client.get(reverse("about")).content.decode()
    assert "Meet Dr." not in text_of(client.get(reverse("home")))
    visit = text_of(client.get(reverse("visit")))
    assert "Your first visit" not in visit and "Parking and transit" not in visit


def test_what_staff_fill_in_shows_on_about_home_and_visit_pages(client, practice):
    assert client.get(reverse("about"))["X-Cache"] == "miss"
    assert client.get(reverse("about"))["X-Cache"] == "hit"
    fill_in(practice)

    response = client.get(reverse("about"))
    assert response["X-Cache"] == "miss"
    about = text_of(response)
    assert BIO in about
    assert (
        "Qualifications and licences Doctor of Chiropractic Licensed in Massachusetts"
        in about
    )
    assert "Conditions treated Neck pain Sciatica" in about
    assert "Your first visit Plan on an hour. Bring a list of your medicines." in about
    assert "Insurance and payment Call us to check your plan." in about
    assert "will appear here soon" not in about
    html = response.content.decode()
    assert (
        "<ul><li>Doctor of Chiropractic</li><li>Licensed in Massachusetts</li></ul>"
        in html
    )
    # Parking belongs to the visit page.
    assert "Metered parking" not in about

    home = text_of(client.get(reverse("home")))
    assert "Meet Dr. Jeffrey I. Kennis, D.C." in home
    assert "About Dr. Jeffrey I. Kennis, D.C. and your first visit" in home
    visit = text_of(client.get(reverse("visit")))
    assert "Your first visit Plan on an hour." in visit
    assert "Parking and transit Metered parking on Commercial St." in visit
    assert "Insurance and payment Call us to check your plan." in visit


def test_text_typed_by_staff_is_escaped(client, practice):
    fill_in(practice, practitioner_bio="<script>alert(1)</script> Hello.")
    html = client.get(reverse("about")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_the_photo_is_shown_in_webp_renditions_described_for_screen_readers(
    client, practice, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://www.example.com"
    source = tmp_path / "kennis.png"
    Image.new("RGB", (800, 1000), "teal").save(source)
    practice.practitioner_photo = SimpleUploadedFile("kennis.png", source.read_bytes())
    practice.save()

    html = client.get(reverse("about")).content.decode()
    img = re.search(r"<img [^>]+>", html)[0]
    assert re.findall(r"\.webp (\d+)w", img) == ["320", "640"]
    assert 'alt="Photo of Dr. Jeffrey I. Kennis, D.C."' in img
    practice.practitioner_photo_alt = "Dr. Kennis in the treatment room"
    practice.save()
    assert (
        'alt="Dr. Kennis in the treatment room"'
        in client.get(reverse("home")).content.decode()
    )
    physician = jsonld_of(client.get(reverse("about")))["employee"]
    assert physician["image"] == (
        f"https://www.example.com{Practice.objects.get().practitioner_photo.url}"
    )


def test_structured_data_carries_the_specialty_position_map_and_profiles(
    client, practice, settings
):
    settings.SITE_URL = "https://www.example.com"
    fill_in(
        practice,
        medical_specialty="Musculoskeletal",
        latitude=Decimal("42.363100"),
        longitude=Decimal("-71.051200"),
        map_url="https://www.openstreetmap.org/node/1",
        same_as="https://www.yelp.com/biz/example\n\nhttps://g.page/example",
    )
    clinic = jsonld_of(client.get(reverse("home")))
    assert clinic["medicalSpecialty"] == "https://schema.org/Musculoskeletal"
    assert clinic["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 42.3631,
        "longitude": -71.0512,
    }
    assert clinic["hasMap"] == "https://www.openstreetmap.org/node/1"
    assert clinic["sameAs"] == [
        "https://www.yelp.com/biz/example",
        "https://g.page/example",
    ]
    assert clinic["employee"] == {
        "@type": "Physician",
        "name": "Dr. Jeffrey I. Kennis, D.C.",
        "url": "https://www.example.com/about/",
        "description": BIO,
        "medicalSpecialty": "https://schema.org/Musculoskeletal",
    }


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"latitude": Decimal("42.36")},
            {"longitude": ["Fill in both latitude and longitude, or neither."]},
        ),
        (
            {"same_as": "https://www.yelp.com/biz/example\nmy facebook page"},
            {
                "same_as": [
                    "“my facebook page” is not a web address. Put one address per "
                    "line, starting with https://."
                ]
            },
        ),
        (
            {"latitude": Decimal("91"), "longitude": Decimal("0")},
            {"latitude": ["Ensure this value is less than or equal to 90."]},
        ),
    ],
)
def test_mistakes_in_the_search_engine_fields_are_explained(practice, fields, errors):
    for name, value in fields.items():
        setattr(practice, name, value)
    with pytest.raises(ValidationError) as caught:
        practice.full_clean()
    assert caught.value.message_dict == errors


def test_the_owner_is_prompted_while_about_fields_are_empty(admin_client, practice):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert (
        "Still empty:</strong> practitioner’s photo, short biography, qualifications and "
        "licences, conditions treated, your first visit, insurance and payment, parking "
        "and transit."
    ) in unescape(html).replace("'", "’")
    fill_in(practice)
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Still empty:</strong> practitioner" in unescape(html).replace("'", "’")
    assert "short biography" not in html.split("about-prompt-title")[1]


def test_the_prompt_is_only_for_staff_who_can_change_the_practice(
    staff_client, practice
):
    desk = make_staff_user()
    desk.user_permissions.add(Permission.objects.get(codename="view_practice"))
    html = staff_client(desk).get(reverse("admin:index")).content.decode()
    assert "about-prompt-title" not in html


def test_the_admin_form_has_the_about_fields(admin_client, practice):
    html = admin_client.get(
        reverse("admin:clinic_practice_change", args=[practice.pk])
    ).content.decode()
    for name in [
        "practitioner_photo",
        "practitioner_bio",
        "first_visit",
        "insurance_and_payment",
        "parking_and_transit",
        "latitude",
        "same_as",
    ]:
        assert f'name="{name}"' in html, name
