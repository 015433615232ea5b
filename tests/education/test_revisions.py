"""Safe editing: draft revisions of live articles, previews of unsaved text, readable history,
and a revert that names the version, shows what changes and keeps the review details."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import Article, ArticleRevision
from tests.factories import make_article, make_staff_user

pytestmark = pytest.mark.django_db

REMOVED = '<del><span class="visually-hidden">removed: </span>'
ADDED = '<ins><span class="visually-hidden">added: </span>'


def revision_data(revision, **overrides):
    data = {
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body,
        "reviewer_name": revision.reviewer_name,
        "reviewer_credentials": revision.reviewer_credentials,
        "last_reviewed_on": revision.last_reviewed_on or "",
        "next_review_due": revision.next_review_due or "",
        "_save": "Save draft",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def article_form_data(article, **overrides):
    """The article change form as the admin posts it (no inline rows)."""
    publish_at = timezone.localtime(article.publish_at) if article.publish_at else None
    data = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "publish_at_0": f"{publish_at:%Y-%m-%d}" if publish_at else "",
        "publish_at_1": f"{publish_at:%H:%M:%S}" if publish_at else "",
        "reviewer_name": article.reviewer_name,
        "reviewer_credentials": article.reviewer_credentials,
        "last_reviewed_on": article.last_reviewed_on or "",
        "next_review_due": article.next_review_due or "",
        "image_alt": article.image_alt,
        "staff_notes": article.staff_notes,
        "references-TOTAL_FORMS": "0",
        "references-INITIAL_FORMS": "0",
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def live(practice):
    return make_article(
        title="Burning feet",
        slug="burning-feet",
        summary="Why feet burn.",
        body="<p>Feet burn at night.</p>",
    )


def public_text(client, article):
    return client.get(article.get_absolute_url()).content.decode()


def test_a_draft_revision_is_invisible_to_patients_until_published(
    admin_client, admin_user, client, live
):
    start = reverse("admin:education_article_start_draft", args=[live.pk])
    # Opening the page asks first; nothing is created by a link.
    assert "Start the draft" in admin_client.get(start).content.decode()
    assert not ArticleRevision.objects.exists()
    response = admin_client.post(start)
    revision = ArticleRevision.objects.get()
    assert response["Location"] == reverse(
        "admin:education_articlerevision_change", args=[revision.pk]
    )
    assert (revision.title, revision.body, revision.created_by) == (
        "Burning feet",
        "<p>Feet burn at night.</p>",
        admin_user,
    )
    # A second start opens the same draft.
    assert admin_client.get(start)["Location"] == response["Location"]

    assert "Feet burn at night." in public_text(client, live)
    change = reverse("admin:education_articlerevision_change", args=[revision.pk])
    saved = admin_client.post(
        change, revision_data(revision, body="<p>Feet can burn or tingle at night.</p>")
    )
    assert saved["Location"] == change
    page = public_text(client, live)
    assert "Feet burn at night." in page and "tingle" not in page

    preview = admin_client.get(reverse("education:revision_preview", args=[live.pk]))
    preview_html = preview.content.decode()
    assert "Feet can burn or tingle at night." in preview_html
    assert (
        "the draft revision; patients still see the published version" in preview_html
    )
    assert preview["X-Robots-Tag"] == "noindex, nofollow"
    draft_page = admin_client.get(change).content.decode()
    assert f"Feet {ADDED}can </ins>burn{ADDED} or tingle</ins> at night." in draft_page

    published = admin_client.post(
        change,
        revision_data(
            ArticleRevision.objects.get(),
            _save=None,
            _publish="Publish these changes",
        ),
    )
    assert published["Location"] == reverse(
        "admin:education_article_change", args=[live.pk]
    )
    assert "Feet can burn or tingle at night." in public_text(client, live)
    assert not ArticleRevision.objects.exists()
    latest = Article.objects.get(pk=live.pk).history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        admin_user,
        f"Published the draft revision started by {admin_user.get_username()}",
    )


def test_a_draft_that_would_publish_an_empty_article_is_refused_with_the_reason(
    admin_client, live
):
    admin_client.post(reverse("admin:education_article_start_draft", args=[live.pk]))
    revision = ArticleRevision.objects.get()
    change = reverse("admin:education_articlerevision_change", args=[revision.pk])
    response = admin_client.post(
        change,
        revision_data(revision, summary="", _save=None, _publish="Publish"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "summary": ["A published article needs a summary."]
    }
    assert Article.objects.get(pk=live.pk).summary == "Why feet burn."


def test_discarding_a_draft_leaves_the_live_page_alone(admin_client, client, live):
    admin_client.post(reverse("admin:education_article_start_draft", args=[live.pk]))
    revision = ArticleRevision.objects.get()
    delete = reverse("admin:education_articlerevision_delete", args=[revision.pk])
    response = admin_client.post(delete, {"post": "yes"})
    assert response["Location"] == reverse("admin:education_article_changelist")
    assert not ArticleRevision.objects.exists()
    assert "Feet burn at night." in public_text(client, live)


def test_the_article_form_points_to_its_draft_and_warns_that_save_is_live(
    admin_client, live
):
    change = reverse("admin:education_article_change", args=[live.pk])
    html = admin_client.get(change).content.decode()
    assert "This article is live: “Save” changes the page patients see at once." in html
    assert reverse("admin:education_article_start_draft", args=[live.pk]) in html
    admin_client.post(reverse("admin:education_article_start_draft", args=[live.pk]))
    html = admin_client.get(change).content.decode()
    assert "A draft revision of this article is waiting" in html
    assert "Open the draft revision" in html


def test_editors_without_superuser_rights_can_use_drafts(staff_client, live):
    from django.contrib.auth.models import Group

    editor = make_staff_user()
    editor.groups.add(Group.objects.get(name="Editors"))
    client = staff_client(editor)
    response = client.post(
        reverse("admin:education_article_start_draft", args=[live.pk])
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_preview_shows_what_was_typed_without_saving_it(admin_client, client, live):
    url = reverse("education:unsaved_preview") + f"?article={live.pk}"
    response = admin_client.post(
        url,
        {
            "title": "Burning feet",
            "summary": "Why feet burn.",
            "body": '<p>Typed, not saved.</p><script>alert("x")</script>',
        },
    )
    html = response.content.decode()
    assert "Typed, not saved." in html and 'alert("x")' not in html
    assert "your changes as typed, not saved yet" in html
    assert "Feet burn at night." in public_text(client, live)
    assert Article.objects.get(pk=live.pk).body == "<p>Feet burn at night.</p>"

    # A new article can be previewed before its first save.
    new = admin_client.post(
        reverse("education:unsaved_preview"),
        {"title": "Numb toes", "summary": "", "body": "<p>Toes go numb.</p>"},
    )
    assert '<h1 id="article-title">Numb toes</h1>' in new.content.decode()
    assert Article.objects.count() == 1


def test_preview_of_a_form_with_mistakes_says_what_to_correct(admin_client, live):
    response = admin_client.post(
        reverse("education:unsaved_preview"),
        {"title": "", "body": "<p>x</p>", "last_reviewed_on": "31/31/2026"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Title: This field is required." in html
    assert "Last reviewed: Enter a valid date." in html


def test_previews_are_for_editors_only(client, staff_client, live):
    url = reverse("education:unsaved_preview")
    assert client.post(url, {"title": "x"})["Location"].startswith("/admin/login/")
    assert staff_client(make_staff_user()).post(url, {"title": "x"}).status_code == 403
    assert client.get(url).status_code == 405


def test_history_shows_the_words_that_changed_not_raw_html(admin_client, live):
    live.body = "<p>Feet burn at night and in the morning.</p>"
    live.save()
    html = admin_client.get(
        reverse("admin:education_article_history", args=[live.pk])
    ).content.decode()
    assert f"Feet burn at night{ADDED} and in the morning</ins>." in html
    assert "&lt;p&gt;" not in html
    assert re.findall(r">Version (\d+)</a>", html) == ["2", "1"]


def test_revert_names_the_version_shows_what_changes_and_keeps_review_details(
    admin_client, admin_user, client, live
):
    today = datetime.date(2026, 3, 1)
    first = live.history.get()
    live.body = "<p>Feet burn at night, badly.</p>"
    live.reviewer_name = "Jane Roe"
    live.last_reviewed_on = today
    live.next_review_due = today + datetime.timedelta(days=365)
    live.save()

    url = reverse(
        "admin:education_article_simple_history", args=[live.pk, first.history_id]
    )
    response = admin_client.get(url)
    html = response.content.decode()
    assert re.search(
        r"<title>Revert “Burning feet” to version 1, saved \w+ \d+, \d{4} at", html
    )
    changes = html[html.index("What reverting will change") :]
    changes = changes[: changes.index("</dl>")]
    assert f"Feet burn at night{REMOVED}, badly</del>." in changes
    assert "Jane Roe" not in changes
    assert "Keeping the current review details" in html
    form = response.context["adminform"].form
    assert form.initial["reviewer_name"] == "Jane Roe"
    assert form.initial["body"] == "<p>Feet burn at night.</p>"

    reverted = admin_client.post(
        url,
        article_form_data(
            Article.objects.get(pk=live.pk), body=form.initial["body"], _save="Revert"
        ),
    )
    assert reverted.status_code == 302, reverted.context["adminform"].form.errors
    article = Article.objects.get(pk=live.pk)
    assert (article.body, article.reviewer_name) == (
        "<p>Feet burn at night.</p>",
        "Jane Roe",
    )
    assert article.history.first().history_change_reason.startswith(
        "Reverted to version 1 of "
    )
    assert "Feet burn at night." in public_text(client, live)


def test_revert_restores_the_old_review_details_when_asked(admin_client, live):
    first = live.history.get()
    live.reviewer_name = "Jane Roe"
    live.save()
    url = reverse(
        "admin:education_article_simple_history", args=[live.pk, first.history_id]
    )
    html = admin_client.get(url).content.decode()
    assert 'href="?restore_review=1"' in html
    response = admin_client.get(url, {"restore_review": "1"})
    assert response.context["adminform"].form.initial["reviewer_name"] == ""
    assert "Restoring the review details" in response.content.decode()
