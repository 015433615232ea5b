import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def test_sitemap_lists_public_pages_and_live_articles_with_lastmod(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    make_article(slug="burning-feet", topics=[topic])
    make_article(slug="draft", status="draft", publish_at=None)
    make_article(slug="later", publish_at=timezone.now() + datetime.timedelta(days=1))
    make_topic(name="Empty", slug="empty")

    xml = client.get("/sitemap.xml").content.decode()
    assert re.findall(r"<loc>http://testserver(/[^<]*)</loc>", xml) == [
        "/",
        "/visit/",
        "/privacy/",
        "/accessibility/",
        "/language-assistance/",
        "/nondiscrimination/",
        "/education/",
        "/education/symptoms/",
        "/education/topics/nerve-pain/",
        "/education/burning-feet/",
    ]
    today = timezone.now().date().isoformat()
    assert (
        f"<loc>http://testserver/education/burning-feet/</loc><lastmod>{today}</lastmod>"
        in xml
    )


def test_robots_txt_points_to_the_sitemap(client):
    assert (
        "Sitemap: http://testserver/sitemap.xml"
        in client.get("/robots.txt").content.decode().splitlines()
    )


def test_feed_has_live_articles_newest_first(client, practice):
    now = timezone.now()
    make_article(
        title="Older",
        slug="older",
        summary="Old news.",
        publish_at=now - datetime.timedelta(days=2),
    )
    make_article(
        title="Newer", slug="newer", publish_at=now - datetime.timedelta(days=1)
    )
    make_article(title="Draft", status="draft", publish_at=None)
    make_article(title="Scheduled", publish_at=now + datetime.timedelta(days=1))

    response = client.get("/education/feed/")
    xml = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert re.findall(r"<entry><title>([^<]+)</title>", xml) == ["Newer", "Older"]
    assert '<link href="http://testserver/education/older/" rel="alternate"/>' in xml
    assert '<summary type="html">Old news.</summary>' in xml
