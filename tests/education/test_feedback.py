"""Readers' “Is this page useful?”: one row per click, never cached, the article page unchanged."""

import datetime
import re
import time

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.core import _get_window

from education.forms import FEEDBACK_SALT
from education.models import ArticleFeedback
from education.services import purge_feedback_comments
from tests.factories import make_article

pytestmark = pytest.mark.django_db

FEEDBACK_URL = "/education/feedback/"


def token_on(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    return re.search(r'name="token" value="([^"]+)"', html)[1]


def answers():
    return list(ArticleFeedback.objects.values_list("article__slug", "is_useful"))


def start_well_inside_the_rate_limit_window(address="127.0.0.1", period=600):
    """django-ratelimit counts in fixed windows: wait out one about to end."""
    ends_at = _get_window(address, period)
    if ends_at - time.time() < 20:
        while time.time() <= ends_at:
            time.sleep(0.1)


@pytest.fixture
def article(practice):
    return make_article(title="Burning feet", slug="burning-feet")


def test_the_form_on_the_cached_article_page_carries_nothing_per_reader(
    client, article
):
    first = client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())
    html = second.content.decode()
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert '<form method="post" action="/education/feedback/">' in html
    assert "csrfmiddlewaretoken" not in html and "nonce" not in html
    assert not second.cookies
    assert signing.loads(token_on(client, article), salt=FEEDBACK_SALT) == {
        "article": article.pk
    }


def test_a_click_is_stored_once_never_cached_and_the_article_page_stays_cached(
    client, article
):
    token = token_on(client, article)
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"

    first = client.post(FEEDBACK_URL, {"token": token, "useful": "no"})
    # A double click, or Back and submit again: the same click.
    again = client.post(FEEDBACK_URL, {"token": token, "useful": "no"})

    assert answers() == [("burning-feet", False)]
    feedback = ArticleFeedback.objects.get()
    thanks = reverse("education:feedback_thanks", args=[feedback.public_id])
    assert (first.status_code, first["Location"]) == (303, thanks)
    assert (again.status_code, again["Location"]) == (303, thanks)
    assert "no-cache" in first["Cache-Control"] and "X-Cache" not in first
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"
    page = client.get(thanks)
    assert "X-Cache" not in page and "no-cache" in page["Cache-Control"]
    assert "Sorry “Burning feet” did not help." in page.content.decode()


def test_other_readers_and_other_answers_each_count(client, article):
    token = token_on(client, article)
    client.post(FEEDBACK_URL, {"token": token, "useful": "yes"})
    client.post(FEEDBACK_URL, {"token": token, "useful": "yes"}, REMOTE_ADDR="10.0.0.2")
    client.post(FEEDBACK_URL, {"token": token, "useful": "no"})
    assert sorted(answers()) == [
        ("burning-feet", False),
        ("burning-feet", True),
        ("burning-feet", True),
    ]
    assert ArticleFeedback.objects.counts() == {
        "useful": 2,
        "not_useful": 1,
        "comments": 0,
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other-origin", "fetch-metadata"],
)
def test_a_post_another_site_makes_the_browser_send_is_refused(
    client, article, headers
):
    token = token_on(client, article)
    response = client.post(
        FEEDBACK_URL, {"token": token, "useful": "no"}, headers=headers
    )
    assert response.status_code == 403
    assert "Please answer from the article page" in response.content.decode()
    assert answers() == []


def test_a_same_origin_post_with_fetch_metadata_is_accepted(client, article):
    token = token_on(client, article)
    response = client.post(
        FEEDBACK_URL,
        {"token": token, "useful": "yes"},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303
    assert answers() == [("burning-feet", True)]


class OldSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 31 * 24 * 3600)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"token": "forged", "useful": "yes"}, "We could not tell which page"),
        ({"useful": "yes"}, "Please choose “Yes” or “No”"),
        ("expired", "This page was open for a long time"),
        ("bad-answer", "Please choose “Yes” or “No”"),
    ],
)
def test_bad_posts_get_a_clear_400_and_store_nothing(client, article, data, message):
    if data == "expired":
        token = OldSigner(salt=FEEDBACK_SALT).sign_object({"article": article.pk})
        data = {"token": token, "useful": "yes"}
    elif data == "bad-answer":
        data = {"token": token_on(client, article), "useful": "maybe"}
    response = client.post(FEEDBACK_URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert answers() == []


def test_no_answers_for_an_article_taken_down_since_the_page_was_shown(client, article):
    token = token_on(client, article)
    article.status = "draft"
    article.save()
    response = client.post(FEEDBACK_URL, {"token": token, "useful": "yes"})
    assert response.status_code == 400
    assert "no longer published" in response.content.decode()
    assert answers() == []


def test_drafts_in_preview_have_no_feedback_form(admin_client, practice):
    draft = make_article(status="draft", publish_at=None)
    html = admin_client.get(draft.get_preview_url()).content.decode()
    assert "Is this page useful?" not in html


def test_the_feedback_address_only_takes_posts(client, practice):
    assert client.get(FEEDBACK_URL).status_code == 405


def test_too_many_answers_from_one_connection_get_429(client, article, settings):
    settings.FEEDBACK_RATE_LIMIT = "3/10m"
    start_well_inside_the_rate_limit_window()
    token = token_on(client, article)
    statuses = [
        client.post(FEEDBACK_URL, {"token": token, "useful": answer}).status_code
        for answer in ["yes", "no", "yes", "no"]
    ]
    assert statuses == [303, 303, 303, 429]
    assert len(answers()) == 2


def test_the_reader_may_add_a_note_once_with_a_warning_about_personal_details(
    client, article
):
    token = token_on(client, article)
    thanks = client.post(FEEDBACK_URL, {"token": token, "useful": "no"})["Location"]
    page = client.get(thanks).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert "Please do not include your name, phone number, email" in page
    assert (
        '<label for="id_comment">What was missing or unclear? (optional)</label>'
        in page
    )

    too_long = client.post(thanks, {"comment": "x" * 501})
    assert too_long.status_code == 400
    assert (
        "Please keep it under 500 characters (it has 501)." in too_long.content.decode()
    )

    response = client.post(thanks, {"comment": "  How long does it last?  "})
    assert (response.status_code, response["Location"]) == (303, thanks)
    client.post(thanks, {"comment": "A second note replaces nothing."})
    feedback = ArticleFeedback.objects.get()
    assert feedback.comment == "How long does it last?"
    assert "We have your note." in client.get(thanks).content.decode()


def test_a_note_can_only_be_added_on_the_day_of_the_click(client, article):
    token = token_on(client, article)
    thanks = client.post(FEEDBACK_URL, {"token": token, "useful": "yes"})["Location"]
    ArticleFeedback.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert "<textarea" not in client.get(thanks).content.decode()
    client.post(thanks, {"comment": "Late note."})
    assert ArticleFeedback.objects.get().comment == ""


def test_retention_erases_old_notes_and_keeps_the_answers(practice):
    article = make_article()
    now = timezone.now()
    for days, comment in [(100, "Old note"), (10, "Recent note"), (100, "")]:
        feedback = ArticleFeedback.objects.create(
            article=article, is_useful=False, comment=comment
        )
        ArticleFeedback.objects.filter(pk=feedback.pk).update(
            created_at=now - datetime.timedelta(days=days)
        )

    assert purge_feedback_comments(older_than_days=30, dry_run=True) == 1
    assert ArticleFeedback.objects.exclude(comment="").count() == 2
    assert purge_feedback_comments(older_than_days=30) == 1
    assert sorted(ArticleFeedback.objects.values_list("comment", flat=True)) == [
        "",
        "",
        "Recent note",
    ]
    assert ArticleFeedback.objects.count() == 3
    # Without a period: the default keeps 90 days.
    assert purge_feedback_comments() == 0
