"""Article bodies as patients see them: heading anchors, a table of contents, live links only.

Bodies are stored sanitized (nh3 allowlist), so the markup is regular enough for these
rewrites. Links between articles are stored as /education/<slug>/ and resolved at render time,
so that a page never looks broken while the articles it points to are still being written:

- a cross-reference that stands on its own (a paragraph or list item that is only the link,
  perhaps after “See”, or a closing “See …” / “Read all about …” sentence) is left out;
- a list left with nothing in it goes too, with the “Learn more:” line that introduced it;
- a link inside a sentence becomes plain text.

Everything comes back by itself once staff publish the target (or follows it to a new slug).
"""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from .models import ARTICLE_LINK_RE, RESERVED_SLUGS, linked_slugs

__all__ = [
    "TocEntry",
    "add_heading_anchors",
    "linked_slugs",
    "render_body",
    "resolve_article_links",
    "split_introduction",
]

HEADING_RE = re.compile(r"<(h[23])>(.*?)</\1>", re.DOTALL)
PARAGRAPH_RE = re.compile(r"<p>((?:(?!</?p>).)*)</p>", re.DOTALL)
# A list item holding nothing but (a paragraph of) inline text: no nested list.
LIST_ITEM_RE = re.compile(
    r"(?P<open><li>(?:<p>)?)(?P<inner>(?:(?!</?(?:li|p|ul|ol)>).)*)(?P<close>(?:</p>)?</li>)",
    re.DOTALL,
)
EMPTY_ITEM_RE = re.compile(r"<li>\s*(?:<p>\s*</p>)?\s*</li>")
# A list with no items left, and the short line ending in a colon that introduced it.
EMPTY_LIST_RE = re.compile(
    r"(?:<p>(?:(?!</?p>).){0,80}:\s*</p>\s*)?<(ul|ol)>\s*</\1>", re.DOTALL
)
# What may stand beside a cross-reference without being content of its own.
LEAD_IN = r"(?:see also|also see|see|read more about|read more|read|learn more about|learn more|more on|more about)"
LEAD_IN_ONLY_RE = re.compile(
    rf"^\s*(?:{LEAD_IN})?[\s:,;.\-–—]*(?:and|or)?[\s:,;.]*$", re.I
)
CROSS_REFERENCE_TEXT_RE = re.compile(rf"^\s*{LEAD_IN}\b", re.I)
DEAD = "\x00"  # Marks an unresolved link while a block is being judged; never typed in an article.


@dataclass
class TocEntry:
    level: int
    anchor: str
    text: str


def resolve_article_links(html: str, live_slugs: dict[str, str]) -> str:
    """Point links at live articles' current addresses; leave the rest out or as plain text.

    live_slugs maps every slug a live article answers to (current or former) to its current one.
    """

    def mark(match):
        slug = match["slug"]
        if slug in RESERVED_SLUGS:
            return match[0]
        current = live_slugs.get(slug)
        if current is None:
            return f"{DEAD}{match['text']}{DEAD}"
        href = reverse("education:article_detail", kwargs={"slug": current})
        return f'<a{match["before"]} href="{href}"{match["attrs"]}>{match["text"]}</a>'

    html = ARTICLE_LINK_RE.sub(mark, html)
    if DEAD not in html:
        return html
    html = LIST_ITEM_RE.sub(lambda m: _block(m["open"], m["inner"], m["close"]), html)
    html = PARAGRAPH_RE.sub(lambda m: _block("<p>", m[1], "</p>"), html)
    while True:
        # A list item left empty goes, then a list left empty, and so on upwards.
        emptied = EMPTY_LIST_RE.sub("", EMPTY_ITEM_RE.sub("", html))
        if emptied == html:
            break
        html = emptied
    return html.replace(DEAD, "")


DEAD_LINK_RE = re.compile(f"{DEAD}(.*?){DEAD}", re.DOTALL)
# A closing sentence that is only a cross-reference to an unpublished article:
# "… nervous system. Read All About X" or "… nerves. See X."
DEAD_SENTENCE_RE = re.compile(
    rf"(?P<end>^|[.!?:])(?P<space>\s*)(?P<lead>(?:{LEAD_IN})\s+)?{DEAD}(?P<text>(?:(?!{DEAD}).)*){DEAD}[.!?]?\s*$",
    re.I | re.DOTALL,
)


def _block(open_tag, inner, close_tag):
    """One paragraph or list item: left out if it is only dead cross-references."""
    if DEAD in inner:
        rest = strip_tags(DEAD_LINK_RE.sub("", inner))
        if "<a " not in inner and LEAD_IN_ONLY_RE.match(rest):
            return ""
        match = DEAD_SENTENCE_RE.search(inner)
        if match and (match["lead"] or CROSS_REFERENCE_TEXT_RE.match(match["text"])):
            inner = inner[: match.start()] + match["end"]
    return f"{open_tag}{inner}{close_tag}"


def add_heading_anchors(html: str) -> tuple[str, list[TocEntry]]:
    toc = []
    used = set()

    def replace(match):
        tag, inner = match[1], match[2]
        text = strip_tags(inner).strip()
        base = slugify(text) or "section"
        anchor, n = base, 2
        while anchor in used or anchor.startswith("ref-"):
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        toc.append(TocEntry(level=int(tag[1]), anchor=anchor, text=text))
        return f'<{tag} id="{anchor}">{inner}</{tag}>'

    return HEADING_RE.sub(replace, html), toc


def render_body(html: str, live_slugs: dict[str, str]) -> tuple[str, list[TocEntry]]:
    html, toc = add_heading_anchors(resolve_article_links(html, live_slugs))
    # Only anchors and our own links were added to text the sanitizer already cleaned.
    return mark_safe(html), toc


def split_introduction(html: str) -> tuple[str, str]:
    """(introduction, rest): the text before the first heading, when there is both."""
    first_heading = re.search(r"<h[23][ >]", html)
    if first_heading is None or first_heading.start() == 0:
        return "", html
    # Both halves are whole blocks of markup already marked safe.
    return (
        mark_safe(html[: first_heading.start()]),
        mark_safe(html[first_heading.start() :]),
    )
