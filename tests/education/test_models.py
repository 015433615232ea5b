import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from education.models import Article, ArticleSlug, Reference
from tests.factories import make_article, make_reference

pytestmark = pytest.mark.django_db


def test_published_means_published_status_and_publish_time_come():
    live = make_article()
    make_article(status=Article.Status.DRAFT, publish_at=None)
    scheduled = make_article(publish_at=timezone.now() + datetime.timedelta(hours=2))

    assert list(Article.objects.published()) == [live]
    # The scheduled article appears by itself once its time has come: no job flips it.
    later = timezone.now() + datetime.timedelta(hours=3)
    assert set(Article.objects.published(now=later)) == {live, scheduled}


def test_publishing_without_a_date_publishes_now():
    article = make_article(publish_at=None)
    assert article.publish_at is not None and article.is_live
    assert list(Article.objects.published()) == [article]


def test_body_is_sanitized_on_save_scripts_event_handlers_and_javascript_links_removed():
    article = make_article(
        body=(
            '<h2 onclick="steal()">Burning feet</h2>'
            "<script>alert(1)</script>"
            '<p style="color:red">Text <img src=x onerror="alert(2)">'
            '<a href="javascript:alert(3)">bad link</a> '
            '<a href="https://example.org/" onmouseover="x()">good link</a></p>'
            "<iframe src='https://evil.example/'></iframe>"
        )
    )
    article.refresh_from_db()
    assert article.body == (
        "<h2>Burning feet</h2>"
        "<p>Text <a>bad link</a> "
        '<a href="https://example.org/">good link</a></p>'
    )


def test_validation_sanitizes_the_body_as_forms_see_it():
    article = make_article(status=Article.Status.DRAFT, publish_at=None)
    article.body = '<p onclick="x()">Hi<script>bad()</script></p>'
    article.full_clean()
    assert article.body == "<p>Hi</p>"


def test_changed_slug_records_the_old_address():
    article = make_article(slug="nerve-pain-basics")
    article.slug = "nerve-pain"
    article.save()
    assert list(ArticleSlug.objects.values_list("slug", "article")) == [
        ("nerve-pain-basics", article.pk)
    ]
    # Taking the old slug back stops the redirect instead of looping.
    article.slug = "nerve-pain-basics"
    article.save()
    assert list(ArticleSlug.objects.values_list("slug", flat=True)) == ["nerve-pain"]


def test_image_needs_alt_text_or_decorative_flag():
    article = make_article(status=Article.Status.DRAFT)
    article.image = "education/synapses.jpg"
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert error.value.message_dict == {
        "image_alt": [
            "Describe the image for patients who cannot see it, or tick “image is decorative”."
        ]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()
    article.image_is_decorative = True
    article.clean()
    article.save()


def test_published_article_needs_summary_and_text():
    article = Article(
        title="Empty", slug="empty", status=Article.Status.PUBLISHED, body="<p></p>"
    )
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert error.value.message_dict == {
        "summary": ["A published article needs a summary."],
        "body": ["A published article needs its text."],
    }


def test_slug_of_another_education_page_is_refused():
    article = Article(title="Search", slug="search")
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert error.value.message_dict == {
        "slug": ["This address is taken by another education page; choose another."]
    }


def test_doi_is_validated_by_format_and_linked_at_doi_org():
    article = make_article()
    reference = Reference(
        article=article, order=1, authors="A B", title="T", doi="doi:10.1038/x"
    )
    with pytest.raises(ValidationError) as error:
        reference.full_clean()
    assert error.value.message_dict == {
        "doi": [
            "Enter a DOI such as 10.1038/nrdp.2017.2 (without “doi:” or https://doi.org/)."
        ]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        reference.save()
    good = make_reference(article)
    assert good.doi_url == "https://doi.org/10.1038/nrdp.2017.2"
    assert good.citation == (
        "Colloca L, Ludman T, Bouhassira D, et al. Neuropathic pain. "
        "Nat Rev Dis Primers. 2017;3:17002."
    )


def test_needs_review_lists_live_articles_missing_review_details_or_overdue():
    today = timezone.localdate()
    reviewed = {
        "reviewer_name": "Jane Roe",
        "reviewer_credentials": "MD",
        "last_reviewed_on": today - datetime.timedelta(days=30),
    }
    up_to_date = make_article(
        **reviewed, next_review_due=today + datetime.timedelta(days=300)
    )
    overdue = make_article(
        **reviewed, next_review_due=today - datetime.timedelta(days=1)
    )
    unreviewed = make_article()
    make_article(status=Article.Status.DRAFT, publish_at=None)

    assert set(Article.objects.needs_review()) == {overdue, unreviewed}
    assert (up_to_date.needs_review, overdue.needs_review, unreviewed.needs_review) == (
        False,
        True,
        True,
    )
    assert overdue.is_review_overdue and not up_to_date.is_review_overdue


def test_each_review_state_means_the_same_on_the_page_list_and_in_the_filter():
    """One rule: an article's own flags and the list's filters always agree."""
    import itertools

    today = timezone.localdate()
    dues = [
        None,
        today - datetime.timedelta(days=1),
        today,
        today + datetime.timedelta(days=9),
    ]
    articles = [
        make_article(
            reviewer_name=reviewer,
            last_reviewed_on=reviewed,
            next_review_due=due,
            **({} if live else {"status": Article.Status.DRAFT, "publish_at": None}),
        )
        for reviewer, reviewed, due, live in itertools.product(
            ["", "Jane Roe"],
            [None, today - datetime.timedelta(days=30)],
            dues,
            [True, False],
        )
    ]
    needs_review = set(Article.objects.needs_review())
    overdue = set(Article.objects.review_overdue())
    up_to_date = set(Article.objects.review_up_to_date())
    for article in articles:
        assert (
            article.needs_review,
            article.is_review_overdue,
            article.has_review_details and not article.is_review_overdue,
        ) == (article in needs_review, article in overdue, article in up_to_date)
    assert (
        len(needs_review) == 14
    )  # 16 live articles, 2 of them reviewed and not yet due


def test_history_records_who_changed_what():
    article = make_article(title="Nerve pain")
    article.title = "Nerve pain explained"
    article.save()
    assert [h.title for h in article.history.all()] == [
        "Nerve pain explained",
        "Nerve pain",
    ]
    newest, oldest = article.history.all()
    assert [change.field for change in newest.diff_against(oldest).changes] == ["title"]
    # Reverting restores the earlier text.
    oldest.instance.save()
    article.refresh_from_db()
    assert article.title == "Nerve pain"
