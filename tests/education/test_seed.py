import re

import pytest
from django.core.management import call_command

from education.models import Article, Reference, Symptom
from education.seed import STAFF_NOTE

pytestmark = pytest.mark.django_db

SEED_LINKS = [
    "Neuropathy And Chronic Back Pain",
    "Types of Back Pain",
    "Spinal Cord and Spinal Nerve Roots",
    "Understanding Neuropathy Symptoms",
    "Anatomy Of Nerve Pain",
    "Types of Back Pain: Acute Pain, Chronic Pain, and Neuropathic Pain",
    "Understanding Chronic Pain",
    "Medications for Neuropathic Pain",
    "Acupuncture: An Ancient Treatment for a Current Problem",
    "Treatment Options for Neuropathic Pain",
    "Physical and Occupational Therapy Offer Benefits for Neuropathic Pain",
    "11 Chronic Pain Control Techniques",
]


def seed_blocks():
    """The article's lines from the practice's text, in order, as a patient should read them."""
    from clinic.seed import SEED_FILE

    text = SEED_FILE.read_text(encoding="utf-8")
    start = text.index("Neuropathic pain, also called")
    end = text.index("  1. Colloca")
    lines = [line.strip().lstrip("• ").strip() for line in text[start:end].splitlines()]
    return [
        line.removesuffix("1")
        for line in lines
        if line and line != "Image of nerve synapses lighting up"
    ]


def page_blocks(html):
    """The blocks of the article's text (its introduction and the rest), in order."""
    body = "".join(
        re.findall(r'<div class="article-body[^"]*">(.*?)</div>', html, re.DOTALL)
    )
    blocks = re.findall(r"<(h2|h3|p)[^>]*>(.*?)</\1>", body, re.DOTALL)
    return [(tag, re.sub(r"<[^>]+>", "", inner).strip()) for tag, inner in blocks]


@pytest.fixture
def seeded(db):
    call_command("load_seed")


def publish(article, summary="Written by staff.", body="<p>Staff wrote this.</p>"):
    article.summary, article.body, article.status = summary, body, "published"
    article.save()


def without_cross_references(blocks):
    """The seed's lines as a patient sees them while the linked articles are unwritten."""
    shown = []
    for block in blocks:
        if block.startswith("See ") or block == "Learn more:" or block in SEED_LINKS:
            continue
        shown.append(block.partition(" Read All About ")[0])
    return shown


def test_seed_article_is_published_at_its_address_with_every_block_in_order(
    client, seeded
):
    for draft in Article.objects.exclude(slug="neuropathic-pain"):
        publish(draft)
    response = client.get("/education/neuropathic-pain/")
    blocks = page_blocks(response.content.decode())
    texts = [text.removesuffix("1") for _, text in blocks]
    assert texts == seed_blocks()
    headings = [(tag, text) for tag, text in blocks if tag != "p"]
    assert headings == [
        ("h2", "Neuropathic pain comes from the nerves"),
        ("h2", "Symptoms of neuropathic pain"),
        ("h2", "Neuropathic pain can become chronic"),
        ("h2", "Neuropathic pain can be managed"),
        ("h3", "Oral medications for neuropathic pain"),
        ("h3", "Other treatments for neuropathic pain"),
    ]


def test_while_the_linked_articles_are_drafts_no_dead_line_shows(client, seeded):
    html = client.get("/education/neuropathic-pain/").content.decode()
    texts = [text.removesuffix("1") for _, text in page_blocks(html)]
    assert texts == without_cross_references(seed_blocks())
    # Nine "See ..." lines, "Learn more:" and its two titles.
    assert len(texts) == len(seed_blocks()) - 12


def test_seed_symptoms_are_a_list_in_the_seed_words(client, seeded):
    html = client.get("/education/neuropathic-pain/").content.decode()
    lists = re.findall(
        r"<ul><li>(.*?)</ul>",
        html[html.index('<div class="article-body">') :],
        re.DOTALL,
    )
    items = [re.sub(r"<[^>]+>", "", item) for item in re.split(r"</li><li>", lists[0])]
    assert items == [
        "Pricking (pins and needles)",
        "Radiating pain, down the leg and/or arm",
        "Sharp, stabbing, shooting, shock-like pain",
        "A burning sensation without a source of heat",
        "Tingling, weakness, and/or numbing",
    ]


def test_footnote_mark_links_to_the_structured_reference(client, seeded):
    html = client.get("/education/neuropathic-pain/").content.decode()
    assert 'and arms.<sup><a href="#ref-1">1</a></sup></p>' in html
    assert list(
        Reference.objects.values_list(
            "order", "authors", "title", "journal", "year", "volume", "pages", "doi"
        )
    ) == [
        (
            1,
            "Colloca L, Ludman T, Bouhassira D, et al",
            "Neuropathic pain",
            "Nat Rev Dis Primers",
            2017,
            "3",
            "17002",
            "10.1038/nrdp.2017.2",
        )
    ]
    assert (
        '<li id="ref-1" value="1">Colloca L, Ludman T, Bouhassira D, et al. Neuropathic pain. '
        "Nat Rev Dis Primers. 2017;3:17002. Published 2017 Feb 16. "
        '<a href="https://doi.org/10.1038/nrdp.2017.2">doi:10.1038/nrdp.2017.2</a></li>'
    ) in html


def test_cross_references_become_drafts_left_out_until_each_is_published(
    client, seeded
):
    drafts = Article.objects.exclude(slug="neuropathic-pain")
    assert sorted(drafts.values_list("title", flat=True)) == sorted(SEED_LINKS)
    assert set(drafts.values_list("status", flat=True)) == {"draft"}
    html = client.get("/education/neuropathic-pain/").content.decode()
    body = html[
        html.index('<div class="article-body') : html.index('<aside class="care-now"')
    ]
    assert re.findall(r'<a href="/education/', body) == []
    assert "See Types of Back Pain" not in body
    assert "Read All About" not in body
    assert "Learn more" not in body

    publish(Article.objects.get(title="Types of Back Pain"))
    publish(Article.objects.get(title="11 Chronic Pain Control Techniques"))
    html = client.get("/education/neuropathic-pain/").content.decode()
    assert (
        '<p>See <a href="/education/types-of-back-pain/">Types of Back Pain</a></p>'
        in html
    )
    assert (
        "<p>Learn more:</p><ul><li><p>"
        '<a href="/education/11-chronic-pain-control-techniques/">11 Chronic Pain Control Techniques</a>'
        "</p></li></ul>"
    ) in html
    assert "See Understanding Chronic Pain" not in html


def test_image_placeholder_is_not_invented_but_noted_for_staff_and_no_reviewer(seeded):
    article = Article.objects.get(slug="neuropathic-pain")
    assert (article.image.name, article.staff_notes) == ("", STAFF_NOTE)
    assert (article.reviewer_name, article.last_reviewed_on) == ("", None)
    assert article.needs_review


def test_symptom_index_is_seeded_from_the_bullet_list(seeded):
    assert [
        (symptom.name, [a.slug for a in symptom.articles.all()])
        for symptom in Symptom.objects.all()
    ] == [
        ("Pins and needles", ["neuropathic-pain"]),
        ("Radiating pain", ["neuropathic-pain"]),
        ("Sharp or shooting pain", ["neuropathic-pain"]),
        ("Burning", ["neuropathic-pain"]),
        ("Tingling, weakness or numbness", ["neuropathic-pain"]),
    ]


def test_seeding_again_keeps_staff_edits_and_adds_nothing(seeded):
    article = Article.objects.get(slug="neuropathic-pain")
    article.title = "Nerve pain (neuropathy)"
    article.slug = "nerve-pain"
    article.save()
    Article.objects.get(title="Understanding Chronic Pain").delete()
    Symptom.objects.filter(name="Burning").update(search_terms="hot feet")

    call_command("load_seed")

    assert Article.objects.count() == 12
    assert list(
        Article.objects.filter(slug="nerve-pain").values_list("title", flat=True)
    ) == ["Nerve pain (neuropathy)"]
    assert Symptom.objects.get(name="Burning").search_terms == "hot feet"
