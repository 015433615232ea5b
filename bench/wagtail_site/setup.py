"""Put the seed article under Wagtail's root page and print its URL (run in the Wagtail venv)."""

import html
import os
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.wagtail_site.settings")
django.setup()

from wagtail.models import Page, Site  # noqa: E402

from bench.wagtail_site.articles.models import ArticlePage  # noqa: E402

SEED = Path(__file__).resolve().parent.parent.parent / "seed" / "neuropathic-pain.txt"


def main():
    paragraphs = [
        " ".join(p.split())
        for p in SEED.read_text(encoding="utf-8").split("\n\n")
        if p.strip()
    ]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[3:])
    page = ArticlePage.objects.filter(slug="neuropathic-pain").first()
    if page is None:
        home = Site.objects.get(is_default_site=True).root_page
        page = ArticlePage(
            title="Neuropathic pain",
            slug="neuropathic-pain",
            summary=f"<p>{html.escape(paragraphs[3])}</p>",
            body=body,
        )
        home.add_child(instance=page)
        page.save_revision().publish()
    assert Page.objects.live().filter(pk=page.pk).exists()
    print(page.url)


if __name__ == "__main__":
    main()
