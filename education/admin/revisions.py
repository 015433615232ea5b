"""Draft revisions of live articles: edit, preview, compare and publish."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.csp import csp_override

from ..diffs import field_changes
from ..models import (
    REVISION_FIELDS,
    Article,
    ArticleRevision,
)
from ..services import RevisionNotReady, publish_revision
from .editing import (
    EDITOR_CSP,
    EDITOR_MEDIA,
    EditorsOnlyMixin,
    unsaved_preview_url,
)


class RevisionForm(forms.ModelForm):
    publishing = False

    class Meta:
        model = ArticleRevision
        fields = REVISION_FIELDS

    def clean(self):
        cleaned_data = super().clean()
        if self.publishing and self.instance.article.status == Article.Status.PUBLISHED:
            # The one "ready to publish" rule, asked of the article as the draft makes it.
            article = self.instance.applied()
            for name in REVISION_FIELDS:
                if name in cleaned_data:
                    setattr(article, name, cleaned_data[name])
            for field, error in article.publication_problems().items():
                self.add_error(field, error)
        return cleaned_data


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(EditorsOnlyMixin, admin.ModelAdmin):
    """Changes to a published article, kept apart from the live page until published."""

    form = RevisionForm
    list_display = ["article", "created_by", "updated_at"]
    list_select_related = ["article", "created_by"]
    readonly_fields = ["live_article", "changes_from_live"]
    fieldsets = [
        (None, {"fields": ["live_article", "title", "summary", "body"]}),
        (
            "Medical review",
            {
                "fields": [
                    ("reviewer_name", "reviewer_credentials"),
                    ("last_reviewed_on", "next_review_due"),
                ]
            },
        ),
        ("Compared with the live page", {"fields": ["changes_from_live"]}),
    ]

    def has_add_permission(self, request):
        # A draft starts from its article (“Prepare changes as a draft” there).
        return False

    @property
    def media(self):
        return super().media + EDITOR_MEDIA

    @method_decorator(csp_override(EDITOR_CSP))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        revision = self.get_object(request, object_id) if object_id else None
        extra_context = {
            "preview_url": unsaved_preview_url(revision.article if revision else None),
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.publishing = "_publish" in request.POST
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "_publish" in request.POST:
            try:
                request._published_article = publish_revision(
                    revision=obj, user=request.user
                )
            except RevisionNotReady as error:
                # The form checked this already; a concurrent edit of the article may not have.
                request._publish_problems = error.problems

    def response_change(self, request, obj):
        article = getattr(request, "_published_article", None)
        if article is not None:
            self.message_user(
                request,
                f"The changes to “{article}” are now on the live page.",
                messages.SUCCESS,
            )
            return redirect("admin:education_article_change", article.pk)
        if getattr(request, "_publish_problems", None):
            self.message_user(
                request,
                "Saved as a draft, but not published: "
                + " ".join(
                    str(message)
                    for error in request._publish_problems.values()
                    for message in error.messages
                ),
                messages.WARNING,
            )
            return redirect(request.path)
        self.message_user(
            request,
            "Draft saved. Patients still see the published version.",
            messages.SUCCESS,
        )
        return redirect(request.path)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, "Draft discarded. The live page is unchanged.")
        return redirect("admin:education_article_changelist")

    @admin.display(description="live article")
    def live_article(self, obj):
        return format_html(
            '<a href="{}">{}</a> (<a href="{}">open it on the site</a>)',
            reverse("admin:education_article_change", args=[obj.article_id]),
            obj.article,
            obj.article.get_absolute_url(),
        )

    @admin.display(description="changes")
    def changes_from_live(self, obj):
        changes = field_changes(ArticleRevision, obj.article, obj, REVISION_FIELDS)
        if not changes:
            return "No changes yet: the draft reads like the live page."
        return format_html(
            '<dl class="word-diff">{}</dl>',
            format_html_join(
                "", "<dt>{}</dt><dd>{}</dd>", ((c["field"], c["diff"]) for c in changes)
            ),
        )
