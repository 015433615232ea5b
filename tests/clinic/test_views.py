import datetime
import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_closure, make_opening_hours

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "home",
    "visit",
    "privacy",
    "accessibility",
    "education:article_list",
    "appointments:appointment_request",
    "appointments:contact",
]


def text_of(response):
    """The page's visible text, whitespace collapsed (tags and scripts removed)."""
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    html = re.sub(r"<(br|/?(p|li|dt|dd|div|h\d|address|ul|section))\b[^>]*>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def jsonld_of(response):
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>',
        response.content.decode(),
        flags=re.S,
    )
    return [json.loads(block) for block in blocks]


def test_home_page_shows_practice_name_address_and_click_to_call(client, practice):
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dr. Jeffrey I. Kennis, D.C." in body
    assert "205 Commercial St" in body
    assert "Boston, MA 02109" in body
    assert 'href="tel:+16177202329"' in body


def test_home_page_links_to_articles_and_to_appointment_requests(client, practice):
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("education:article_list")}"' in body
    assert f'href="{reverse("appointments:appointment_request")}"' in body


def test_home_page_says_online_requests_are_closed_when_staff_close_them(
    client, practice
):
    practice.is_accepting_online_requests = False
    practice.online_requests_closed_message = "We are away until January 5."
    practice.save()
    response = client.get(reverse("home"))
    hero = text_of(response).split("Learn about nerve pain")[0]
    assert "We are away until January 5." in hero
    assert "Request an appointment online" not in hero


def test_pages_say_call_us_when_staff_have_not_entered_hours(client, practice):
    text = text_of(client.get(reverse("visit")))
    assert "Call us for current hours: (617) 720-2329." in text


def test_visit_page_lists_the_hours_staff_entered_monday_first(client, practice):
    make_opening_hours(practice, weekdays=[2], opens="14:00", closes="18:30")
    make_opening_hours(practice, weekdays=[0], opens="09:00", closes="12:00")
    make_opening_hours(practice, weekdays=[0], opens="13:00", closes="17:00")
    text = text_of(client.get(reverse("visit")))
    assert (
        "Monday 9:00 AM – 12:00 PM, 1:00 PM – 5:00 PM Tuesday Closed "
        "Wednesday 2:00 PM – 6:30 PM Thursday Closed Friday Closed "
        "Saturday Closed Sunday Closed"
    ) in text
    assert "Call us for current hours" not in text


def test_visit_page_shows_upcoming_closures_with_their_notes_but_not_past_ones(
    client, practice
):
    today = timezone.localdate()
    make_closure(practice, today - datetime.timedelta(days=10), public_note="Old news")
    make_closure(
        practice,
        datetime.date(today.year + 1, 11, 26),
        datetime.date(today.year + 1, 11, 27),
        public_note="Closed for Thanksgiving",
    )
    text = text_of(client.get(reverse("visit")))
    assert f"Closed Nov 26 – Nov 27, {today.year + 1}: Closed for Thanksgiving" in text
    assert "Old news" not in text


def test_visit_page_gives_address_as_text_and_a_directions_link_without_embedded_map(
    client, practice
):
    response = client.get(reverse("visit"))
    body = response.content.decode()
    assert (
        "Dr. Jeffrey I. Kennis, D.C. 205 Commercial St (North End) Boston, MA 02109"
        in text_of(response)
    )
    assert (
        'href="https://www.google.com/maps/dir/?api=1&amp;destination='
        '205%20Commercial%20St%2C%20Boston%2C%20MA%2002109"'
    ) in body
    assert "<iframe" not in body
    assert 'href="tel:+16177202329"' in body


def test_privacy_notice_explains_forms_are_not_for_emergencies(client, practice):
    text = text_of(client.get(reverse("privacy")))
    assert "If this is a medical emergency, call 911." in text
    assert "Our forms are not for emergencies" in text


def test_privacy_notice_states_the_retention_period_staff_set(client, practice):
    practice.request_retention_days = 90
    practice.save()
    text = text_of(client.get(reverse("privacy")))
    assert (
        "We keep your request or message for 90 days after we last worked on it, then "
        "delete it automatically" in text
    )


def test_privacy_notice_without_retention_period_says_kept_as_needed_and_deletable(
    client, practice
):
    text = text_of(client.get(reverse("privacy")))
    assert (
        "We keep requests and messages only as long as we need them to arrange your "
        "care. You can ask us to delete yours at any time."
    ) in text
    assert "delete it automatically" not in text


def test_accessibility_statement_names_the_standard_and_how_to_report_by_phone(
    client, practice
):
    text = text_of(client.get(reverse("accessibility")))
    assert "(WCAG) 2.2 at level AA" in text
    assert "please call us at (617) 720-2329" in text


def test_staff_edit_of_practice_shows_on_next_page_load(client, practice):
    client.get(reverse("home"))
    practice.street_address = "207 Commercial St"
    practice.save()
    assert "207 Commercial St" in client.get(reverse("home")).content.decode()


def test_footer_shows_the_seed_copyright_notice_on_every_page(client, practice):
    assert practice.copyright_notice.startswith("This website includes")
    for name in PUBLIC_PAGES:
        assert practice.copyright_notice in text_of(client.get(reverse(name))), name


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_page_has_canonical_link_description_skip_link_and_one_h1(
    client, practice, settings, name
):
    settings.SITE_URL = "https://www.example.com"
    body = client.get(reverse(name)).content.decode()
    assert re.findall(r'<link rel="canonical" href="([^"]*)">', body) == [
        f"https://www.example.com{reverse(name)}"
    ]
    descriptions = re.findall(r'<meta name="description" content="([^"]*)">', body)
    assert len(descriptions) == 1 and len(descriptions[0]) > 40, descriptions
    assert '<a class="skip-link" href="#main">' in body
    assert len(re.findall(r"<h1[ >]", body)) == 1


@pytest.mark.parametrize("name", ["home", "visit", "privacy", "accessibility"])
def test_practice_pages_need_no_javascript(client, practice, name):
    body = client.get(reverse(name)).content.decode()
    assert re.findall(r"<script[^>]*>", body) == ['<script type="application/ld+json">']


def test_structured_data_describes_the_clinic_and_its_physician(
    client, practice, settings
):
    settings.SITE_URL = "https://www.example.com"
    assert jsonld_of(client.get(reverse("home"))) == [
        {
            "@context": "https://schema.org",
            "@type": "MedicalClinic",
            "name": "Dr. Jeffrey I. Kennis, D.C.",
            "@id": "https://www.example.com/#practice",
            "url": "https://www.example.com/",
            "telephone": "+16177202329",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": "205 Commercial St",
                "addressLocality": "Boston",
                "addressRegion": "MA",
                "postalCode": "02109",
                "addressCountry": "US",
            },
            "employee": {
                "@type": "Physician",
                "name": "Dr. Jeffrey I. Kennis, D.C.",
                "url": "https://www.example.com/about/",
            },
        }
    ]


def test_structured_data_includes_opening_hours_once_staff_enter_them(client, practice):
    make_opening_hours(practice, weekdays=[1], opens="08:30", closes="12:00")
    [clinic] = jsonld_of(client.get(reverse("visit")))
    assert clinic["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": "https://schema.org/Tuesday",
            "opens": "08:30",
            "closes": "12:00",
        }
    ]


def test_structured_data_lists_upcoming_closures_as_closed_all_day(client, practice):
    today = timezone.localdate()
    make_closure(practice, today - datetime.timedelta(days=3), public_note="Past")
    make_closure(
        practice,
        today + datetime.timedelta(days=10),
        today + datetime.timedelta(days=11),
        public_note="Closed for Thanksgiving",
    )
    [clinic] = jsonld_of(client.get(reverse("home")))
    assert clinic["specialOpeningHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": (today + datetime.timedelta(days=10)).isoformat(),
            "validThrough": (today + datetime.timedelta(days=11)).isoformat(),
            "opens": "00:00",
            "closes": "00:00",
            "description": "Closed for Thanksgiving",
        }
    ]


def test_structured_data_cannot_be_broken_out_of_by_admin_text(client, practice):
    practice.name = "Kennis </script><script>alert(1)</script>"
    practice.save()
    [clinic] = jsonld_of(client.get(reverse("home")))
    assert clinic["name"] == "Kennis </script><script>alert(1)</script>"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_private_areas(
    client,
):
    response = client.get(reverse("robots_txt"))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /appointments/",
        "Disallow: /education/preview/",
        "Disallow: /education/feedback/",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_security_txt_gives_the_practice_phone_and_expires_in_a_year(client, practice):
    response = client.get("/.well-known/security.txt")
    fields = dict(
        line.split(": ", 1) for line in response.content.decode().splitlines()
    )
    expires = datetime.datetime.fromisoformat(fields.pop("Expires"))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert fields == {
        "Contact": "tel:+16177202329",
        "Preferred-Languages": "en",
        "Canonical": "http://testserver/.well-known/security.txt",
    }
    assert (
        datetime.timedelta(days=364)
        < expires - timezone.now()
        <= datetime.timedelta(days=365)
    )


def test_security_txt_prefers_the_practice_email_when_staff_set_one(client, practice):
    practice.email = "frontdesk@example.com"
    practice.save()
    body = client.get("/.well-known/security.txt").content.decode()
    assert body.splitlines()[0] == "Contact: mailto:frontdesk@example.com"


def test_unknown_page_gets_the_practice_404_page(client, practice):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = text_of(response)
    assert "Page not found" in text
    assert (
        "205 Commercial St" in text
    )  # the practice footer, so patients can still call


def test_disallowed_host_gets_the_400_page_not_a_server_error(client, practice):
    response = client.get(reverse("home"), HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "We could not understand that request" in text_of(response)


def test_healthz_answers_ok_with_the_database_up(client):
    response = client.get(reverse("healthz"))
    assert (response.status_code, response.json()) == (200, {"database": "ok"})


@pytest.mark.parametrize("name", ["home", "visit", "privacy", "accessibility"])
def test_pages_render_before_the_practice_information_is_entered(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "tel:" not in response.content.decode().split("<main")[0]


def test_home_page_before_setup_says_so_instead_of_inventing(client):
    text = text_of(client.get(reverse("home")))
    assert "This website is being set up." in text


def test_practice_pages_are_shared_from_the_cache_until_staff_change_the_practice(
    client, practice
):
    first, second = client.get(reverse("visit")), client.get(reverse("visit"))
    practice.phone = "+16175550123"
    practice.save()
    third = client.get(reverse("visit"))
    assert (first["X-Cache"], second["X-Cache"], third["X-Cache"]) == (
        "miss",
        "hit",
        "miss",
    )
    assert 'href="tel:+16175550123"' in third.content.decode()


@pytest.mark.parametrize("name", ["visit", "privacy"])
def test_pages_before_setup_offer_no_empty_phone_link(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'href="tel:"' not in response.content.decode()
    if name == "visit":
        assert "This website is being set up." in text_of(response)
