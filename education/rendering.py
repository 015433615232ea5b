"""Article bodies as patients see them: heading anchors, a table of contents, live links only.

Bodies are stored sanitized (nh3 allowlist), so the markup is regular enough for these
rewrites. Links between articles are stored as /education/<slug>/ and resolved at render time:
a link to an article that is not live becomes plain text, and turns back into a link by
itself once staff publish that article (or follows it to its new slug).
"""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from .models import RESERVED_SLUGS

HEADING_RE = re.compile(r"<(h[23])>(.*?)</\1>", re.DOTALL)
ARTICLE_LINK_RE = re.compile(
    r'<a(?P<before>[^>]*?) href="/education/(?P<slug>[-a-zA-Z0-9_]+)/"(?P<attrs>[^>]*)>(?P<text>.*?)</a>',
    re.DOTALL,
)


@dataclass
class TocEntry:
    level: int
    anchor: str
    text: str


def linked_slugs(html: str) -> set[str]:
    return {
        match["slug"]
        for match in ARTICLE_LINK_RE.finditer(html)
        if match["slug"] not in RESERVED_SLUGS
    }


def resolve_article_links(html: str, live_slugs: dict[str, str]) -> str:
    """Point links at live articles' current addresses; unwrap links to anything else.

    live_slugs maps every slug a live article answers to (current or former) to its current one.
    """

    def replace(match):
        slug = match["slug"]
        if slug in RESERVED_SLUGS:
            return match[0]
        current = live_slugs.get(slug)
        if current is None:
            return match["text"]
        href = reverse("education:article_detail", kwargs={"slug": current})
        return f'<a{match["before"]} href="{href}"{match["attrs"]}>{match["text"]}</a>'

    return ARTICLE_LINK_RE.sub(replace, html)


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
