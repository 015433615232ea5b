import datetime
import json
import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from education.models import Article, RelatedArticle, Symptom
from tests.factories import (
    make_article,
    make_reference,
    make_staff_user,
    make_topic,
)

pytestmark = pytest.mark.django_db


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def main_of(response):
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def test_live_article_page_shows_everything_a_patient_needs(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    article = make_article(
        title="Burning feet",
        slug="burning-feet",
        summary="Why feet burn at night.",
        body="<h2>Causes</h2><p>Nerves misfire.</p><h3>Diabetes</h3><p>Sugar.</p>",
        reviewer_name="Jane Roe",
        reviewer_credentials="MD",
        last_reviewed_on=datetime.date(2026, 3, 1),
        next_review_due=datetime.date(2027, 3, 1),
        topics=[topic],
    )
    make_reference(article)
    other = make_article(title="Numb toes", slug="numb-toes")
    RelatedArticle.objects.create(from_article=article, to_article=other, order=1)

    response = client.get(article.get_absolute_url())
    main = main_of(response)

    assert response.status_code == 200
    assert 'href="/education/topics/nerve-pain/">Nerve pain</a>' in main
    assert '<h1 id="article-title">Burning feet</h1>' in main
    assert '<p class="lead">Why feet burn at night.</p>' in main
    meta = main[main.index('<p class="article-meta">') :]
    meta = " ".join(meta[: meta.index("</p>")].split())
    assert meta == (
        '<p class="article-meta"> Reviewed by Jane Roe, MD. '
        'Page last reviewed <time datetime="2026-03-01">March 1, 2026</time>. '
        'Next review due <time datetime="2027-03-01">March 1, 2027</time>. '
        '<span class="reading-time">1 min read.</span>'
    )
    toc = re.findall(r'<li class="toc-level-(\d)"><a href="#([^"]+)">([^<]+)</a>', main)
    assert toc == [("2", "causes", "Causes"), ("3", "diabetes", "Diabetes")]
    assert '<h2 id="causes">Causes</h2>' in main
    assert "When to get care now" in main and "Call 911" in main
    assert (
        '<li id="ref-1" value="1">Colloca L, Ludman T, Bouhassira D, et al. Neuropathic pain. '
        'Nat Rev Dis Primers. 2017;3:17002. <a href="https://doi.org/10.1038/nrdp.2017.2">'
        "doi:10.1038/nrdp.2017.2</a></li>"
    ) in main
    assert '<li><a href="/education/numb-toes/">Numb toes</a></li>' in main
    assert 'href="/appointments/request/?article=burning-feet"' in main


def test_article_head_has_canonical_open_graph_and_medical_web_page(
    client, practice, settings
):
    settings.SITE_URL = ""
    article = make_article(
        title="Burning feet",
        slug="burning-feet",
        summary="Why feet burn.",
        reviewer_name="Jane Roe",
        reviewer_credentials="MD",
        last_reviewed_on=datetime.date(2026, 3, 1),
        topics=[make_topic(name="Nerve pain")],
    )
    make_reference(article)
    body = client.get(article.get_absolute_url()).content.decode()

    assert (
        '<link rel="canonical" href="http://testserver/education/burning-feet/">'
        in body
    )
    assert '<meta property="og:title" content="Burning feet">' in body
    assert '<meta name="description" content="Why feet burn.">' in body
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body)
    page = next(
        data for data in map(json.loads, blocks) if data["@type"] == "MedicalWebPage"
    )
    assert page["lastReviewed"] == "2026-03-01"
    assert page["reviewedBy"] == {"@type": "Person", "name": "Jane Roe, MD"}
    assert page["about"] == [{"@type": "MedicalCondition", "name": "Nerve pain"}]
    assert page["citation"][0]["sameAs"] == "https://doi.org/10.1038/nrdp.2017.2"
    practice_ref = {
        "@type": "MedicalClinic",
        "name": "Dr. Jeffrey I. Kennis, D.C.",
        "@id": "http://testserver/#practice",
        "url": "http://testserver/",
    }
    assert page["author"] == page["publisher"] == practice_ref


def test_article_asks_for_an_appointment_after_the_introduction_and_at_the_end(
    client, practice
):
    article = make_article(
        slug="burning-feet", body="<p>Feet can burn.</p><h2>Why</h2><p>Nerves.</p>"
    )
    main = main_of(client.get(article.get_absolute_url()))
    request_link = '<a href="/appointments/request/?article=burning-feet">'
    assert main.index("Feet can burn.") < main.index('class="cta-slim"')
    assert main.index('class="cta-slim"') < main.index('id="toc-heading"')
    assert main.count(request_link) == 1
    assert (
        main.count('class="button" href="/appointments/request/?article=burning-feet"')
        == 1
    )

    practice.is_accepting_online_requests = False
    practice.online_requests_closed_message = "We are away until January 5."
    practice.save()
    main = main_of(client.get(article.get_absolute_url()))
    assert "/appointments/request/" not in main
    assert "We are away until January 5." in text_of(main)
    assert "Questions about your symptoms? Call us at (617) 720-2329 ." in text_of(main)


def test_credentials_ending_in_a_full_stop_get_no_second_one(client, practice):
    article = make_article(
        reviewer_name="Jeffrey I. Kennis", reviewer_credentials="D.C."
    )
    main = main_of(client.get(article.get_absolute_url()))
    assert "Reviewed by Jeffrey I. Kennis, D.C. " in text_of(main)
    assert ".." not in text_of(main)


def test_unknown_review_details_are_left_out_not_invented(client, practice):
    article = make_article()
    body = client.get(article.get_absolute_url()).content.decode()
    assert "Reviewed by" not in body and "last reviewed" not in body
    blocks = [json.loads(b) for b in re.findall(r'ld\+json">(.*?)</script>', body)]
    page = next(data for data in blocks if data["@type"] == "MedicalWebPage")
    assert "reviewedBy" not in page and "lastReviewed" not in page


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Article.Status.DRAFT, "publish_at": None},
        {"publish_at": timezone.now() + datetime.timedelta(days=1)},
    ],
    ids=["draft", "scheduled"],
)
def test_drafts_and_scheduled_articles_are_404_for_the_public(client, overrides):
    article = make_article(**overrides)
    response = client.get(reverse("education:article_detail", args=[article.slug]))
    assert response.status_code == 404
    assert (
        article.title
        not in client.get(reverse("education:article_list")).content.decode()
    )


def test_scheduled_article_appears_at_its_time_even_with_the_page_cached(
    client, practice
):
    publish_at = timezone.now() + datetime.timedelta(seconds=2)
    article = make_article(
        title="Coming soon", slug="coming-soon", publish_at=publish_at
    )
    listing = client.get(reverse("education:article_list"))
    assert "Coming soon" not in listing.content.decode()
    assert client.get(reverse("education:article_list"))["X-Cache"] == "hit"

    # Nothing is saved in between: the cached list must still give way at publish time.
    while timezone.now() <= publish_at:
        time.sleep(0.05)
    assert (
        "Coming soon" in client.get(reverse("education:article_list")).content.decode()
    )
    assert client.get(article.get_absolute_url()).status_code == 200


def test_preview_is_for_staff_who_can_change_articles(client, staff_client):
    draft = make_article(
        title="Draft on sciatica", status=Article.Status.DRAFT, publish_at=None
    )
    url = draft.get_preview_url()

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(
        reverse("admin:login")
    )
    no_permission = staff_client(make_staff_user()).get(url)
    assert no_permission.status_code == 403

    editor = make_staff_user()
    editor.user_permissions.add(Permission.objects.get(codename="change_article"))
    preview = staff_client(editor).get(url)
    assert preview.status_code == 200
    assert "draft, not visible to patients" in text_of(main_of(preview))
    assert '<h1 id="article-title">Draft on sciatica</h1>' in preview.content.decode()
    assert preview["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in preview["Cache-Control"]


def test_old_slug_redirects_permanently_to_the_current_address(client):
    article = make_article(slug="nerve-pain-basics")
    article.slug = "nerve-pain"
    article.save()
    response = client.get("/education/nerve-pain-basics/")
    assert (response.status_code, response["Location"]) == (
        301,
        "/education/nerve-pain/",
    )


def test_see_line_to_a_draft_is_left_out_until_it_is_published(client, practice):
    draft = make_article(
        title="Types of Back Pain",
        slug="types-of-back-pain",
        status="draft",
        publish_at=None,
    )
    article = make_article(
        body="<p>Backs hurt.</p>"
        '<p>See <a href="/education/types-of-back-pain/">Types of Back Pain</a></p>'
    )

    assert "Types of Back Pain" not in main_of(client.get(article.get_absolute_url()))

    draft.summary = "Acute, chronic and nerve pain."
    draft.body = "<p>Back pain comes in kinds.</p>"
    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert (
        '<p>See <a href="/education/types-of-back-pain/">Types of Back Pain</a></p>'
        in main_of(client.get(article.get_absolute_url()))
    )

    # Renamed later: the link follows the article to its new address.
    draft.slug = "back-pain-types"
    draft.save()
    assert (
        '<p>See <a href="/education/back-pain-types/">Types of Back Pain</a></p>'
        in main_of(client.get(article.get_absolute_url()))
    )


def test_related_articles_show_only_when_live_and_in_staff_order(client, practice):
    article = make_article()
    second = make_article(title="Second")
    first = make_article(title="First")
    draft = make_article(title="Not yet", status="draft", publish_at=None)
    for order, other in enumerate([first, draft, second]):
        RelatedArticle.objects.create(
            from_article=article, to_article=other, order=order
        )
    main = main_of(client.get(article.get_absolute_url()))
    related = main[main.index('id="related-heading"') :]
    assert re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', related) == [
        "First",
        "Second",
    ]


def test_article_list_groups_live_articles_by_topic_newest_review_first(
    client, practice
):
    nerves = make_topic(name="Nerve pain", slug="nerve-pain")
    backs = make_topic(name="Back pain", slug="back-pain")
    make_article(
        title="Older review",
        topics=[nerves],
        last_reviewed_on=datetime.date(2025, 1, 1),
    )
    make_article(
        title="Newer review",
        topics=[nerves],
        last_reviewed_on=datetime.date(2026, 1, 1),
    )
    make_article(title="Never reviewed", topics=[nerves])
    make_article(title="Sciatica", topics=[backs])
    make_article(title="Loose one")
    make_article(title="Hidden draft", topics=[backs], status="draft", publish_at=None)

    main = main_of(client.get(reverse("education:article_list")))
    sections = re.findall(r"<h2 id=\"topic-[^\"]+\">(?:<a [^>]+>)?([^<]+)", main)
    titles = re.findall(r'<li><a href="/education/[^"]+/">([^<]+)</a>', main)
    assert sections == ["Back pain", "Nerve pain", "More articles"]
    assert titles == [
        "Sciatica",
        "Newer review",
        "Older review",
        "Never reviewed",
        "Loose one",
    ]


def test_topic_page_lists_its_live_articles(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    make_article(title="Tingling hands", topics=[topic])
    make_article(title="Unrelated")
    main = main_of(client.get(reverse("education:topic_detail", args=["nerve-pain"])))
    assert re.findall(r'<li><a href="/education/[^"]+/">([^<]+)</a>', main) == [
        "Tingling hands"
    ]
    assert (
        client.get(reverse("education:topic_detail", args=["nope"])).status_code == 404
    )


def test_symptom_index_leads_to_live_articles(client, practice):
    article = make_article(title="Burning feet")
    draft = make_article(title="Draft", status="draft", publish_at=None)
    burning = Symptom.objects.create(name="Burning", slug="burning", order=1)
    burning.articles.set([article, draft])
    Symptom.objects.create(name="Tingling", slug="tingling", order=2)

    main = main_of(client.get(reverse("education:symptom_list")))
    assert text_of(main[main.index('id="burning"') - 60 :]).startswith(
        "Burning Burning feet Tingling An article on this is being written."
    )


def test_article_page_stays_small(client, practice):
    from django.core.management import call_command

    call_command("load_seed")
    response = client.get("/education/neuropathic-pain/")
    assert len(response.content) < 30 * 1024


def test_article_image_is_served_as_webp_renditions_with_its_description(
    client, practice, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = tmp_path / "synapses.png"
    Image.new("RGB", (1200, 800), "navy").save(buffer)
    article = make_article(
        image=SimpleUploadedFile("synapses.png", buffer.read_bytes()),
        image_alt="Nerve synapses lighting up",
    )
    main = main_of(client.get(article.get_absolute_url()))
    img = re.search(r"<img [^>]+>", main)[0]
    sources = re.findall(r"(/media/[^ \"]+\.webp) (\d+)w", img)
    assert [width for _, width in sources] == ["480", "960"]
    assert 'width="960" height="640"' in img
    assert 'alt="Nerve synapses lighting up"' in img
    assert all((tmp_path / url.removeprefix("/media/")).exists() for url, _ in sources)


def test_article_list_shows_a_few_per_topic_and_links_to_the_rest(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    for day in range(1, 11):
        make_article(
            title=f"Reviewed on day {day:02}",
            topics=[topic],
            last_reviewed_on=datetime.date(2026, 1, day),
        )
    main = main_of(client.get(reverse("education:article_list")))
    titles = re.findall(r'<li><a href="/education/[^"]+/">([^<]+)</a>', main)
    assert titles == [f"Reviewed on day {day:02}" for day in range(10, 2, -1)]
    assert (
        '<a href="/education/topics/nerve-pain/">All 10 articles on Nerve pain</a>'
        in main
    )


def test_topic_page_is_paginated(client, practice):
    topic = make_topic(name="Nerve pain", slug="nerve-pain")
    for number in range(22):
        make_article(title=f"Article {number:02}", topics=[topic])
    url = reverse("education:topic_detail", args=["nerve-pain"])
    first = re.findall(r'<li><a href="/education/[^"]+/">', main_of(client.get(url)))
    second = main_of(client.get(url, {"page": "2"}))
    assert len(first) == 20
    assert len(re.findall(r'<li><a href="/education/[^"]+/">', second)) == 2
    assert "Page 2 of 2" in second and 'rel="prev"' in second
