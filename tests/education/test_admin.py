import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import Article, SearchSynonym
from tests.factories import make_article, make_staff_user, make_topic

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:education_article_changelist"


def listed_titles(response):
    return [article.title for article in response.context["cl"].result_list]


def test_admin_pages_open(admin_client):
    article = make_article()
    for url in [
        reverse(CHANGELIST),
        reverse("admin:education_article_add"),
        reverse("admin:education_article_change", args=[article.pk]),
        reverse("admin:education_article_history", args=[article.pk]),
        reverse("admin:education_topic_changelist"),
        reverse("admin:education_symptom_changelist"),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_changelist_shows_review_governance_columns(admin_client):
    make_article(
        title="Burning feet",
        next_review_due=timezone.localdate() - datetime.timedelta(days=1),
    )
    response = admin_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    for column in [
        "Status",
        "Publish date",
        "Last reviewed",
        "Next review due",
        "Overdue",
        "Needs review",
        "Preview",
    ]:
        assert f">{column}</a>" in html or f">{column}</span>" in html, column


def test_review_state_filter(admin_client):
    today = timezone.localdate()
    make_article(
        title="Up to date",
        reviewer_name="Jane Roe",
        last_reviewed_on=today,
        next_review_due=today + datetime.timedelta(days=365),
    )
    make_article(
        title="Overdue",
        reviewer_name="Jane Roe",
        last_reviewed_on=today - datetime.timedelta(days=400),
        next_review_due=today - datetime.timedelta(days=35),
    )
    make_article(title="Never reviewed")
    make_article(title="Draft", status="draft", publish_at=None)

    def filtered(value):
        return listed_titles(admin_client.get(reverse(CHANGELIST), {"review": value}))

    assert filtered("needs_review") == ["Never reviewed", "Overdue"]
    assert filtered("overdue") == ["Overdue"]
    assert filtered("up_to_date") == ["Up to date"]


def test_status_topic_filters_and_search(admin_client):
    topic = make_topic(name="Nerve pain")
    make_article(title="Tingling", topics=[topic])
    make_article(title="Sciatica")
    make_article(title="Draft on burning", status="draft", publish_at=None)

    url = reverse(CHANGELIST)
    assert listed_titles(admin_client.get(url, {"status__exact": "draft"})) == [
        "Draft on burning"
    ]
    assert listed_titles(admin_client.get(url, {"topics__id__exact": topic.pk})) == [
        "Tingling"
    ]
    assert listed_titles(admin_client.get(url, {"q": "burning"})) == [
        "Draft on burning"
    ]


def test_publish_now_action_publishes_ready_drafts_and_explains_the_rest(admin_client):
    ready = make_article(title="Ready", status="draft", publish_at=None)
    empty = Article.objects.create(title="Title only", slug="title-only")
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "publish_now", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Published: Ready.",
        "Not published (write a summary and text first): Title only.",
    ]
    assert list(Article.objects.published()) == [ready]


def test_return_to_draft_action_hides_articles(admin_client, client):
    article = make_article(title="Live")
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "return_to_draft", "_selected_action": [article.pk]},
    )
    assert list(Article.objects.published()) == []


def test_change_form_shows_readability_preview_and_view_on_site(admin_client):
    draft = make_article(
        status="draft",
        publish_at=None,
        body="<p>"
        + "Nerve pain can feel like burning or tingling in the feet. " * 6
        + "</p>",
    )
    response = admin_client.get(
        reverse("admin:education_article_change", args=[draft.pk])
    )
    html = response.content.decode()
    assert f"School grade {draft.readability_grade} (target: grade 8 or lower)" in html
    # The preview link, and "View on site" leads to the preview while the article is a draft.
    assert html.count(f'href="{draft.get_preview_url()}"') == 2


def test_editor_page_allows_inline_styles_only_in_the_admin(
    admin_client, client, practice
):
    editor = admin_client.get(reverse("admin:education_article_add"))
    public = client.get(reverse("education:article_list"))
    assert "style-src 'self' 'unsafe-inline'" in editor["Content-Security-Policy"]
    assert "unsafe-inline" not in public["Content-Security-Policy"]


def test_admin_add_sanitizes_and_records_history(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:education_article_add"),
        {
            "title": "Burning feet",
            "slug": "burning-feet",
            "summary": "Why feet burn.",
            "body": '<p onclick="x()">Feet burn.<script>steal()</script></p>',
            "status": "published",
            "publish_at_0": "",
            "publish_at_1": "",
            "reviewer_name": "",
            "reviewer_credentials": "",
            "image_alt": "",
            "staff_notes": "",
            "references-TOTAL_FORMS": "0",
            "references-INITIAL_FORMS": "0",
            "related_links-TOTAL_FORMS": "0",
            "related_links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="burning-feet")
    assert article.body == "<p>Feet burn.</p>"
    assert article.is_live
    assert [(h.history_type, h.history_user) for h in article.history.all()] == [
        ("+", admin_user)
    ]


def test_admin_shows_old_version_and_can_revert(admin_client):
    article = make_article(title="First title")
    article.title = "Second title"
    article.save()
    old = article.history.earliest()
    url = reverse(
        "admin:education_article_simple_history", args=[article.pk, old.history_id]
    )
    assert "First title" in admin_client.get(url).content.decode()


def _links_to(*slugs):
    return "".join(
        f'<p>See <a href="/education/{slug}/">{slug}</a></p>' for slug in slugs
    )


def test_unwritten_articles_live_ones_link_to_are_listed_most_linked_first(
    admin_client,
):
    once = make_article(
        title="Linked once", slug="once", status="draft", publish_at=None
    )
    twice = make_article(
        title="Linked twice", slug="twice", status="draft", publish_at=None
    )
    make_article(title="Not linked", slug="lonely", status="draft", publish_at=None)
    make_article(body=_links_to("once", "twice", "nowhere"))
    make_article(body=_links_to("twice"))
    # Links from drafts do not count: no patient sees them.
    make_article(body=_links_to("once", "lonely"), status="draft", publish_at=None)

    assert [
        (article.title, article.live_links_in)
        for article in Article.objects.unwritten_linked()
    ] == [("Linked twice", 2), ("Linked once", 1)]
    response = admin_client.get(reverse(CHANGELIST), {"wanted": "yes"})
    assert listed_titles(response) == ["Linked twice", "Linked once"]
    html = response.content.decode()
    assert "2 unwritten articles, most linked first" in html
    assert "No article at /education/nowhere/ yet (1 live article links to it)" in html

    # Renamed drafts still count: the old address leads to them.
    once.slug = "once-renamed"
    once.save()
    publish = twice
    publish.status = "published"
    publish.save()
    assert [
        (article.title, article.live_links_in)
        for article in Article.objects.unwritten_linked()
    ] == [("Linked once", 1)]


def test_dashboard_counts_unwritten_articles_linked_from_live_pages(admin_client):
    make_article(title="Wanted", slug="wanted", status="draft", publish_at=None)
    make_article(body=_links_to("wanted"))
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert (
        "1 unwritten article linked from live pages</a> (most linked: Wanted (1))"
        in html
    )

    wanted = Article.objects.get(slug="wanted")
    wanted.status = "published"
    wanted.save()
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Every article that live pages link to is published" in html


def test_dashboard_education_block_is_for_editors_only(staff_client):
    from django.contrib.auth.models import Permission

    front_desk = make_staff_user()
    html = staff_client(front_desk).get(reverse("admin:index")).content.decode()
    assert "education-dashboard-title" not in html
    editor = make_staff_user()
    editor.user_permissions.add(Permission.objects.get(codename="change_article"))
    html = staff_client(editor).get(reverse("admin:index")).content.decode()
    assert "education-dashboard-title" in html


def test_staff_add_a_search_synonym_and_empty_ones_are_explained(admin_client):
    url = reverse("admin:education_searchsynonym_add")
    response = admin_client.post(url, {"phrase": " ", "also_search_for": " "})
    assert response.context["adminform"].form.errors == {
        "phrase": ["This field is required."],
        "also_search_for": ["This field is required."],
    }
    response = admin_client.post(url, {"phrase": "?!", "also_search_for": ",,"})
    assert response.context["adminform"].form.errors == {
        "phrase": ["Type the word or phrase patients search for."],
        "also_search_for": ["Type at least one word the articles use."],
    }
    response = admin_client.post(
        url, {"phrase": "Sciatica", "also_search_for": "nerve pain"}
    )
    assert response.status_code == 302
    assert [str(s) for s in SearchSynonym.objects.all()] == ["sciatica → nerve pain"]


def test_reader_feedback_counts_show_per_article_and_on_the_dashboard(admin_client):
    from education.models import ArticleFeedback

    helpful = make_article(title="Helpful")
    for is_useful, comment in [(True, ""), (True, ""), (False, "Too short.")]:
        ArticleFeedback.objects.create(
            article=helpful, is_useful=is_useful, comment=comment
        )
    make_article(title="Unread")

    response = admin_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    feedback_list = reverse("admin:education_articlefeedback_changelist")
    assert (
        f'<a href="{feedback_list}?article__id__exact={helpful.pk}">2 / 1</a>' in html
    )

    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "2 found a page useful</a>" in dashboard
    assert "1 did not</a>" in dashboard
    assert "1 note to read</a>" in dashboard

    notes = admin_client.get(feedback_list, {"note": "yes"})
    assert [str(row.comment) for row in notes.context["cl"].result_list] == [
        "Too short."
    ]
    change = reverse(
        "admin:education_articlefeedback_change",
        args=[ArticleFeedback.objects.get(comment="Too short.").pk],
    )
    page = admin_client.get(change).content.decode()
    assert "Too short." in page and 'name="comment"' not in page
