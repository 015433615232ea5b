"""The HHS Section 1557 notices: language assistance (with taglines) and nondiscrimination."""

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.models import Practice, Tagline
from clinic.seed import TAGLINES
from clinic.views import database_unavailable, server_error
from tests.clinic.test_views import text_of
from tests.factories import (
    appointment_request_data,
    contact_message_data,
    make_article,
    make_tagline,
    make_topic,
    make_visit,
)

pytestmark = pytest.mark.django_db

LANGUAGE_ASSISTANCE = "/language-assistance/"
NONDISCRIMINATION = "/nondiscrimination/"
PHONE_LINK = '<a href="tel:+16177202329" dir="ltr">(617) 720-2329</a>'
FOOTER_LABELS = [
    (None, "Free language assistance"),
    ("es", "Asistencia lingüística gratuita"),
    ("pt", "Assistência linguística gratuita"),
    ("zh-Hans", "免费语言援助"),
    ("ht", "Èd gratis pou lang"),
    ("vi", "Hỗ trợ ngôn ngữ miễn phí"),
]


class Elements(HTMLParser):
    """Every element matching `wanted(tag, attrs)`: its attributes, text and child elements."""

    def __init__(self, wanted):
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.found = []
        self.open = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        element = {"tag": tag, "attrs": attrs, "text": "", "children": []}
        for parent in self.open:
            parent["children"].append(element)
        if tag in {"br", "img", "input", "link", "meta"}:
            return
        if self.wanted(tag, attrs):
            self.found.append(element)
        self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index]["tag"] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data


def elements(body, wanted):
    parser = Elements(wanted)
    parser.feed(body)
    return parser.found


def with_class(name):
    return lambda tag, attrs: name in (attrs.get("class") or "").split()


# --- The language assistance page -------------------------------------------------------------


def test_language_assistance_notice_in_english_gives_phone_relay_interpreters_and_aids(
    client, practice
):
    text = text_of(client.get(LANGUAGE_ASSISTANCE))
    assert (
        "ATTENTION: If you speak a language other than English, free language assistance "
        "services are available to you. Call (617) 720-2329 (TTY: 711)."
    ) in text
    for promise in [
        "Interpreters: a qualified interpreter for your visit and your calls with us",
        "Translated documents: written information in your language.",
        "Aids for people with disabilities: qualified sign language interpreters",
        "dial 711 to call us through the relay service",
    ]:
        assert promise in text


def test_every_tagline_is_its_own_paragraph_with_lang_dir_and_the_isolated_phone(
    client, practice, taglines
):
    body = client.get(LANGUAGE_ASSISTANCE).content.decode()
    paragraphs = elements(body, with_class("tagline"))
    assert [(p["attrs"]["lang"], p["attrs"]["dir"]) for p in paragraphs] == [
        (tag, direction.value) for tag, _, _, _, direction in TAGLINES
    ]
    arabic = next(p for p in paragraphs if p["attrs"]["lang"] == "ar")
    assert arabic["attrs"]["dir"] == "rtl"
    for paragraph in paragraphs:
        [phone] = [child for child in paragraph["children"] if child["tag"] == "a"]
        assert (phone["attrs"], phone["text"]) == (
            {"href": "tel:+16177202329", "dir": "ltr"},
            "(617) 720-2329",
        )
    assert body.count(PHONE_LINK) == len(TAGLINES)


def test_tagline_shows_the_language_name_and_its_text_around_the_practice_phone(
    client, practice, taglines
):
    body = client.get(LANGUAGE_ASSISTANCE).content.decode()
    [spanish] = elements(
        body, lambda tag, attrs: tag == "p" and attrs.get("lang") == "es"
    )
    assert " ".join(spanish["text"].split()) == (
        "Español ATENCIÓN: si habla español, tiene a su disposición servicios gratuitos "
        "de asistencia lingüística. Llame al (617) 720-2329."
    )


def test_staff_text_in_a_tagline_is_shown_as_text_not_markup(client, practice):
    make_tagline(text='<b onclick="x()">Llame</b> al {phone} & <script>')
    body = client.get(LANGUAGE_ASSISTANCE).content.decode()
    assert (
        f"&lt;b onclick=&quot;x()&quot;&gt;Llame&lt;/b&gt; al {PHONE_LINK} &amp; &lt;script&gt;"
        in body
    )


def test_staff_edit_of_a_tagline_shows_on_the_next_request_despite_the_page_cache(
    client, practice, taglines
):
    first, second = client.get(LANGUAGE_ASSISTANCE), client.get(LANGUAGE_ASSISTANCE)
    spanish = Tagline.objects.get(language_code="es")
    spanish.text = "ATENCIÓN: ayuda gratuita con el idioma. Llame al {phone}."
    spanish.save()
    third = client.get(LANGUAGE_ASSISTANCE)
    assert (first["X-Cache"], second["X-Cache"], third["X-Cache"]) == (
        "miss",
        "hit",
        "miss",
    )
    assert "ATENCIÓN: ayuda gratuita con el idioma." in third.content.decode()


def test_a_deleted_tagline_leaves_the_page_on_the_next_request(
    client, practice, taglines
):
    client.get(LANGUAGE_ASSISTANCE)
    Tagline.objects.get(language_code="it").delete()
    body = client.get(LANGUAGE_ASSISTANCE).content.decode()
    assert 'lang="it"' not in body
    assert 'lang="fr"' in body


def test_languages_spoken_appear_on_the_visit_and_language_pages_only_when_filled(
    client, practice
):
    empty = [text_of(client.get(url)) for url in ("/visit/", LANGUAGE_ASSISTANCE)]
    practice.languages_spoken = "English and Italian"
    practice.save()
    filled = [text_of(client.get(url)) for url in ("/visit/", LANGUAGE_ASSISTANCE)]
    assert ["Languages spoken at our practice" in text for text in empty] == [
        False,
        False,
    ]
    assert [
        "Languages spoken at our practice: English and Italian." in text
        for text in filled
    ] == [True, True]


# --- The nondiscrimination page ---------------------------------------------------------------


def test_nondiscrimination_notice_names_the_grounds_the_help_and_how_to_complain(
    client, practice
):
    text = text_of(client.get(NONDISCRIMINATION))
    for sentence in [
        "Dr. Jeffrey I. Kennis, D.C. complies with applicable federal civil rights laws and "
        "does not discriminate on the basis of race, color, national origin (including "
        "limited English proficiency and primary language), age, disability, or sex",
        "qualified sign language interpreters and written information in other formats",
        "language assistance, such as qualified interpreters and information written in "
        "other languages",
        "Call us at (617) 720-2329 (TTY: 711), or ask at the front desk at "
        "205 Commercial St, Boston, MA 02109.",
        "you can complain to us in person, by phone, by mail or by email",
        "U.S. Department of Health and Human Services, Office for Civil Rights",
        "200 Independence Avenue SW, Room 509F, HHH Building, Washington, DC 20201",
        "by phone: 1-800-368-1019, TDD 1-800-537-7697.",
    ]:
        assert sentence in text
    assert "coordinator" not in text.lower()


def test_nondiscrimination_notice_links_to_the_hhs_complaint_portal_and_forms(
    client, practice
):
    body = client.get(NONDISCRIMINATION).content.decode()
    assert 'href="https://ocrportal.hhs.gov/ocr/smartscreen/main.jsf"' in body
    assert 'href="https://www.hhs.gov/ocr/complaints/index.html"' in body
    assert f'href="{LANGUAGE_ASSISTANCE}"' in body.split("<main")[1]


def test_section_1557_coordinator_is_shown_once_staff_fill_it_in(client, practice):
    practice.section_1557_coordinator = "Maria Rossi, Office Manager"
    practice.section_1557_coordinator_phone = "+16175550100"
    practice.section_1557_coordinator_email = "civilrights@example.com"
    practice.save()
    response = client.get(NONDISCRIMINATION)
    text = text_of(response)
    assert (
        "Our Section 1557 coordinator For questions about this notice, or to make a "
        "complaint to us, contact: Maria Rossi, Office Manager Dr. Jeffrey I. Kennis, D.C., "
        "205 Commercial St, Boston, MA 02109 Phone: (617) 555-0100 (TTY: 711) "
        "Email: civilrights@example.com"
    ) in text
    assert "you can complain to our Section 1557 coordinator, named above," in text
    assert 'href="tel:+16175550100"' in response.content.decode()


def test_coordinator_without_a_phone_of_their_own_is_reached_on_the_practice_phone(
    client, practice
):
    practice.section_1557_coordinator = "Maria Rossi, Office Manager"
    practice.save()
    text = text_of(client.get(NONDISCRIMINATION))
    assert "Maria Rossi, Office Manager" in text
    assert "Phone: (617) 720-2329 (TTY: 711)" in text
    assert "Email:" not in text


# --- On every page, in every patient email ----------------------------------------------------


def notice_links_in(body):
    footer = body.split('<footer class="site-footer">')[1]
    return (
        f'href="{LANGUAGE_ASSISTANCE}"' in footer,
        f'href="{NONDISCRIMINATION}"' in footer,
    )


def test_both_notices_are_linked_from_the_footer_of_every_public_page(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    make_article(slug="burning-feet", topics=[topic])
    sitemap = client.get("/sitemap.xml").content.decode()
    paths = re.findall(r"<loc>http://testserver(/[^<]*)</loc>", sitemap)
    assert {LANGUAGE_ASSISTANCE, NONDISCRIMINATION, "/education/burning-feet/"} <= set(
        paths
    )
    paths += [
        reverse("appointments:appointment_request"),
        reverse("appointments:contact"),
        "/education/search/?q=nerve",
        "/no-such-page/",
    ]
    assert {
        path: notice_links_in(client.get(path).content.decode()) for path in paths
    } == dict.fromkeys(paths, (True, True))


def test_error_pages_link_to_both_notices_even_without_the_database(rf, practice):
    Practice.get_current()  # cached, as after any earlier page view
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        server_error_page = server_error(rf.get("/")).content.decode()
    outage_page = database_unavailable(rf.get("/")).content.decode()
    assert [notice_links_in(page) for page in (server_error_page, outage_page)] == [
        (True, True),
        (True, True),
    ]


def test_footer_link_label_is_also_in_other_languages_each_marked_with_its_lang(
    client, practice
):
    body = client.get("/").content.decode().split('<footer class="site-footer">')[1]
    [link] = elements(body, with_class("language-help"))
    labels = [
        (span["attrs"].get("lang"), span["text"])
        for span in link["children"]
        if span["tag"] == "span" and "separator" not in span["attrs"].get("class", "")
    ]
    assert labels == FOOTER_LABELS


def test_home_page_has_a_visible_block_linking_to_both_notices(client, practice):
    response = client.get("/")
    text = text_of(response)
    [block] = elements(
        response.content.decode(),
        lambda tag, attrs: attrs.get("aria-labelledby") == "language-help-heading",
    )
    links = [
        child["attrs"]["href"] for child in block["children"] if child["tag"] == "a"
    ]
    assert "Language help and your rights Interpreters in any language" in text
    assert links == ["tel:+16177202329", LANGUAGE_ASSISTANCE, NONDISCRIMINATION]


@pytest.mark.parametrize("path", [LANGUAGE_ASSISTANCE, NONDISCRIMINATION])
def test_notice_pages_have_canonical_link_description_and_one_h1(
    client, practice, settings, path
):
    settings.SITE_URL = "https://www.example.com"
    body = client.get(path).content.decode()
    assert re.findall(r'<link rel="canonical" href="([^"]*)">', body) == [
        f"https://www.example.com{path}"
    ]
    [description] = re.findall(r'<meta name="description" content="([^"]*)">', body)
    assert len(description) > 80
    assert len(re.findall(r"<h1[ >]", body)) == 1


@pytest.mark.parametrize("path", [LANGUAGE_ASSISTANCE, NONDISCRIMINATION])
def test_notice_pages_render_before_the_practice_information_is_entered(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "This website is being set up." in text_of(response)
    assert 'href="tel:' not in response.content.decode()


@pytest.mark.parametrize("path", [LANGUAGE_ASSISTANCE, NONDISCRIMINATION])
def test_notice_pages_need_no_javascript(client, practice, path):
    body = client.get(path).content.decode()
    assert re.findall(r"<script[^>]*>", body) == ['<script type="application/ld+json">']


LAST_LINE = (
    "Free language assistance · Asistencia lingüística gratuita: "
    "https://www.kennis.example/language-assistance/"
)


def test_every_patient_email_ends_with_the_language_assistance_link(
    client, practice, settings, mailoutbox
):
    from appointments.models import Notification, VisitSeries

    settings.SITE_URL = "https://www.kennis.example"
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    client.post(
        reverse("appointments:appointment_request"),
        appointment_request_data(email="jane@example.com"),
    )
    client.post(
        reverse("appointments:contact"), contact_message_data(email="sam@example.com")
    )
    visit = make_visit()
    visit.series = VisitSeries.objects.create(
        patient=visit.patient, description="Tuesdays"
    )
    visit.save()
    for kind in [
        "visit_confirmation",
        "visit_reminder",
        "visit_series_confirmation",
        "visit_moved",
        "visit_cancelled",
    ]:
        Notification.objects.create(
            kind=kind,
            recipient="robin@example.com",
            appointment_request=visit.appointment_request,
            visit=visit,
        )
    call_command("deliver_notifications", stdout=io.StringIO())
    last_lines = {
        (
            message.to[0],
            message.subject.split(" (")[0],
        ): message.body.rstrip().splitlines()[-1]
        for message in mailoutbox
        if message.to != ["frontdesk@example.com"]
    }
    assert last_lines == {
        ("jane@example.com", "We received your appointment request"): LAST_LINE,
        ("sam@example.com", "We received your message"): LAST_LINE,
        ("robin@example.com", "Your visit is booked"): LAST_LINE,
        ("robin@example.com", "Reminder of your visit"): LAST_LINE,
        ("robin@example.com", "Your visits are booked"): LAST_LINE,
        ("robin@example.com", "Your visit has moved"): LAST_LINE,
        ("robin@example.com", "Your visit is cancelled"): LAST_LINE,
    }


def test_admin_edit_of_a_tagline_shows_on_the_public_page_at_once(
    admin_client, client, practice, taglines
):
    client.get(LANGUAGE_ASSISTANCE)
    italian = Tagline.objects.get(language_code="it")
    response = admin_client.post(
        reverse("admin:clinic_tagline_change", args=[italian.pk]),
        {
            "language_code": "it",
            "english_name": "Italian",
            "language_name": "Italiano",
            "direction": "ltr",
            "sort_order": "5",
            "text": "ATTENZIONE: assistenza linguistica gratuita. Chiami il {phone}.",
            "source": "Studio Traduzioni Boston",
            "reviewed_by": "Giulia Bianchi, certified translator",
            "reviewed_on": "2026-03-02",
        },
    )
    assert response.status_code == 302
    body = client.get(LANGUAGE_ASSISTANCE).content.decode()
    first = elements(body, with_class("tagline"))[0]
    assert first["attrs"]["lang"] == "it"
    assert "assistenza linguistica gratuita. Chiami il (617) 720-2329." in first["text"]
