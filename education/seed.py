"""The practice's own "Neuropathic pain" page, published faithfully from seed/neuropathic-pain.txt.

Idempotent and never overwrites: once the article exists (under its slug or a former one) the
seed leaves it, its drafts and its references alone; symptoms are seeded only into an empty index.
"""

import datetime
import re

from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from clinic.seed import SEED_FILE

from .models import Article, Reference, SearchSynonym, Symptom, Topic

ARTICLE_TITLE = "Neuropathic pain"
ARTICLE_SLUG = "neuropathic-pain"
TOPIC_NAME = "Nerve pain"
IMAGE_PLACEHOLDER = "Image of nerve synapses lighting up"
READ_ALL_ABOUT = "Read All About "
# The plain text has no markup: these lines are its section headings (the last two are
# subsections of "Neuropathic pain can be managed").
SUBHEADINGS = {
    "Oral medications for neuropathic pain",
    "Other treatments for neuropathic pain",
}
REFERENCE_RE = re.compile(
    r"(?P<authors>.+?, et al)\. (?P<title>[^.]+)\. (?P<journal>[^.]+)\. "
    r"(?P<year>\d{4});(?P<volume>[^:]+):(?P<pages>[^.]+)\. "
    r"Published (?P<published>\d{4} \w{3} \d{1,2})\. doi:(?P<doi>\S+)"
)
# Symptom index entries from the article's bullet list, with the patient's own words for search.
SYMPTOMS = [
    ("Pins and needles", "pricking, prickling, pins and needles"),
    ("Radiating pain", "radiating, down the leg, down the arm"),
    ("Sharp or shooting pain", "sharp, stabbing, shooting, shock-like, electric"),
    ("Burning", "burning sensation, burning feet, burning hands"),
    ("Tingling, weakness or numbness", "tingling, weakness, numbness, numb"),
]
# Starter search synonyms: words patients type for what the article calls nerve pain. Staff
# review and extend them under Patient education → Search synonyms.
SYNONYMS = [
    ("sciatica", "nerve pain, radiating pain, down the leg"),
    ("neuralgia", "nerve pain"),
    ("pinched nerve", "nerve pain, compresses, impinges"),
    ("slipped disc", "herniated disc"),
]
STAFF_NOTE = (
    "The practice's original page showed an image here, after the first paragraph: "
    f"“{IMAGE_PLACEHOLDER}”. No image file was supplied, so none is shown. "
    "To add one, upload it under “Image” with a description for patients who cannot see it."
)


def _article_link(title, text=None):
    return f'<a href="/education/{slugify(title)}/">{escape(text or title)}</a>'


def parse_article(text: str) -> dict:
    """The article's summary, HTML body, linked titles and reference from the seed text."""
    lines = [line.strip() for line in text.splitlines()]
    start = next(
        i for i, line in enumerate(lines) if line.startswith("Neuropathic pain,")
    )
    blocks, linked_titles, reference = [], [], None
    bullets, learn_more = [], None
    summary = ""

    def flush_bullets():
        if bullets:
            items = "".join(f"<li><p>{escape(item)}</p></li>" for item in bullets)
            blocks.append(f"<ul>{items}</ul>")
            bullets.clear()

    for line in lines[start:]:
        if not line or line == IMAGE_PLACEHOLDER:
            continue
        if line.startswith("This website includes"):
            # The copyright notice is the practice's footer, not part of the article.
            continue
        if match := re.match(r"1\.\s+(.*)", line):
            reference = REFERENCE_RE.match(match[1]).groupdict()
            continue
        if line.startswith("•"):
            bullets.append(line.lstrip("• ").strip())
            continue
        flush_bullets()
        if learn_more is not None:
            learn_more.append(line)
            linked_titles.append(line)
            continue
        if line == "Learn more:":
            blocks.append(f"<p>{escape(line)}</p>")
            learn_more = []
            continue
        if line.startswith("See "):
            title = line.removeprefix("See ")
            linked_titles.append(title)
            blocks.append(f"<p>See {_article_link(title)}</p>")
            continue
        if not summary:
            sentence = line.removesuffix("1")
            # The opening sentence is 161 characters; its first clause is the meta description.
            summary = sentence.partition(" and typically")[0].rstrip(".") + "."
            blocks.append(f'<p>{escape(sentence)}<sup><a href="#ref-1">1</a></sup></p>')
            continue
        if READ_ALL_ABOUT in line:
            before, _, title = line.partition(READ_ALL_ABOUT)
            linked_titles.append(title)
            blocks.append(
                f"<p>{escape(before)}{_article_link(title, READ_ALL_ABOUT + title)}</p>"
            )
            continue
        if line[-1] not in ".:?!)":
            tag = "h3" if line in SUBHEADINGS else "h2"
            blocks.append(f"<{tag}>{escape(line)}</{tag}>")
            continue
        blocks.append(f"<p>{escape(line)}</p>")
    flush_bullets()
    if learn_more:
        items = "".join(
            f"<li><p>{_article_link(title)}</p></li>" for title in learn_more
        )
        blocks.append(f"<ul>{items}</ul>")
    return {
        "summary": summary,
        "body": "".join(blocks),
        "linked_titles": list(dict.fromkeys(linked_titles)),
        "reference": reference,
    }


def load(stdout):
    text = SEED_FILE.read_text(encoding="utf-8")
    parsed = parse_article(text)
    if Article.objects.filter(
        Q(slug=ARTICLE_SLUG) | Q(old_slugs__slug=ARTICLE_SLUG)
    ).exists():
        stdout.write(
            "The “Neuropathic pain” article is already present; left unchanged."
        )
    else:
        topic, _ = Topic.objects.get_or_create(
            slug=slugify(TOPIC_NAME), defaults={"name": TOPIC_NAME}
        )
        article = Article.objects.create(
            title=ARTICLE_TITLE,
            slug=ARTICLE_SLUG,
            summary=parsed["summary"],
            body=parsed["body"],
            status=Article.Status.PUBLISHED,
            publish_at=timezone.now(),
            staff_notes=STAFF_NOTE,
        )
        article.topics.add(topic)
        ref = parsed["reference"]
        Reference.objects.create(
            article=article,
            order=1,
            authors=ref["authors"],
            title=ref["title"],
            journal=ref["journal"],
            year=int(ref["year"]),
            volume=ref["volume"],
            pages=ref["pages"],
            published_on=datetime.datetime.strptime(
                ref["published"], "%Y %b %d"
            ).date(),
            doi=ref["doi"],
        )
        created = 0
        for title in parsed["linked_titles"]:
            slug = slugify(title)
            if not Article.objects.filter(
                Q(slug=slug) | Q(old_slugs__slug=slug)
            ).exists():
                Article.objects.create(
                    title=title, slug=slug, status=Article.Status.DRAFT
                )
                created += 1
        stdout.write(
            f"Published “{ARTICLE_TITLE}” with its reference; {created} linked articles "
            "created as drafts for staff to write."
        )
    if not Symptom.objects.exists():
        article = Article.objects.filter(slug=ARTICLE_SLUG).first()
        for order, (name, terms) in enumerate(SYMPTOMS, start=1):
            symptom = Symptom.objects.create(
                name=name, slug=slugify(name), search_terms=terms, order=order
            )
            if article is not None:
                symptom.articles.add(article)
        stdout.write("Loaded the symptom index.")
    if not SearchSynonym.objects.exists():
        for phrase, alternatives in SYNONYMS:
            SearchSynonym.objects.create(phrase=phrase, also_search_for=alternatives)
        stdout.write("Loaded the starter search synonyms.")
