"""Articles in the admin: the list and its filters, the editor, preview, publishing, drafts
of live articles, history with word diffs and a revert that says what it changes."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csp import csp_override
from simple_history.admin import SimpleHistoryAdmin
from sorl.thumbnail import ImageField

from clinic.widgets import LabelledFileInput

from ..diffs import field_changes
from ..models import (
    PLAIN_LANGUAGE_TARGET_GRADE,
    Article,
    Reference,
    RelatedArticle,
    unwritten_link_targets,
)
from ..services import start_revision
from .editing import (
    EDITOR_CSP,
    EDITOR_MEDIA,
    KEPT_LABELS,
    KEPT_ON_REVERT,
    REVERT_COMPARED_FIELDS,
    WordDiffContextHelper,
    toggled_query,
    unsaved_preview_url,
    version_label,
)


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review state"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("needs_review", "Needs review"),
            ("overdue", "Review overdue"),
            ("up_to_date", "Reviewed and up to date"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "needs_review":
            return queryset.needs_review()
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "up_to_date":
            return queryset.review_up_to_date()
        return queryset


class WantedFilter(admin.SimpleListFilter):
    """Articles patients are already pointed to but cannot read yet."""

    title = "wanted by live articles"
    parameter_name = "wanted"

    def lookups(self, request, model_admin):
        return [("yes", "Unwritten, linked from live articles (most linked first)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.unwritten_linked()
        return queryset


class ReferenceInline(admin.StackedInline):
    model = Reference
    extra = 0
    fields = [
        "order",
        "authors",
        "title",
        ("journal", "year"),
        ("volume", "pages"),
        ("published_on", "doi"),
    ]


class RelatedArticleInline(admin.TabularInline):
    model = RelatedArticle
    fk_name = "from_article"
    extra = 0
    fields = ["order", "to_article"]
    autocomplete_fields = ["to_article"]


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "status",
        "publish_at",
        "last_reviewed_on",
        "next_review_due",
        "is_overdue",
        "shows_needs_review",
        "linked_from_live",
        "feedback_counts",
        "preview_link",
    ]
    list_filter = ["status", "topics", ReviewStateFilter, WantedFilter]
    search_fields = ["title", "summary", "body"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ReferenceInline, RelatedArticleInline]
    readonly_fields = ["readability", "preview_link", "created_at", "updated_at"]
    actions = ["publish_now", "return_to_draft"]
    history_list_display = ["status", "slug"]
    object_history_template = "admin/education/article/object_history.html"
    object_history_list_template = "admin/education/article/object_history_list.html"
    object_history_form_template = "admin/education/article/object_history_form.html"
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "readability"]}),
        ("Publication", {"fields": ["status", "publish_at", "preview_link"]}),
        (
            "Medical review",
            {
                "fields": [
                    ("reviewer_name", "reviewer_credentials"),
                    ("last_reviewed_on", "next_review_due"),
                ]
            },
        ),
        ("Topics", {"fields": ["topics"]}),
        (
            "Image",
            {
                "fields": ["image", "image_alt", "image_is_decorative"],
                "classes": ["collapse"],
            },
        ),
        ("Staff notes", {"fields": ["staff_notes", "created_at", "updated_at"]}),
    ]

    formfield_overrides = {ImageField: {"widget": LabelledFileInput}}

    @property
    def media(self):
        return super().media + EDITOR_MEDIA

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "topics":
            # A handful of topics: tick boxes, plainer than the two-list filter widget (whose
            # search icons carry ARIA labels on bare spans).
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @method_decorator(csp_override(EDITOR_CSP))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        article = self.get_object(request, object_id) if object_id else None
        extra_context = {
            "draft_revision": getattr(article, "draft_revision", None)
            if article
            else None,
            "preview_url": unsaved_preview_url(article),
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/draft/",
                self.admin_site.admin_view(self.start_draft_view),
                name="education_article_start_draft",
            ),
            *super().get_urls(),
        ]

    def start_draft_view(self, request, object_id):
        """Start (or reopen) the draft revision of a published article."""
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        existing = getattr(article, "draft_revision", None)
        if existing is not None:
            return redirect("admin:education_articlerevision_change", existing.pk)
        if request.method == "POST":
            revision = start_revision(article=article, user=request.user)
            self.message_user(
                request,
                "Draft revision started. Patients keep seeing the published article "
                "until you choose “Publish these changes”.",
            )
            return redirect("admin:education_articlerevision_change", revision.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Prepare changes to “{article}” as a draft",
            "article": article,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/education/article/start_draft.html", context
        )

    # --- History: readable word-level changes; a revert that names the version --------------

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        return (
            super()
            .get_history_queryset(request, history_manager, pk_name, object_id)
            .annotate(
                version_number=Window(
                    RowNumber(),
                    order_by=[F("history_date").asc(), F("history_id").asc()],
                )
            )
        )

    def get_historical_record_context_helper(self, request, historical_record):
        return WordDiffContextHelper(self.model, historical_record)

    @method_decorator(csp_override(EDITOR_CSP))
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The "revert" page shows the same editor, filled in with that version, except what
        # staff keep unless they ask: the review details and the publication settings.
        article = self.get_object(request, unquote(object_id))
        record = get_object_or_404(
            self.model.history, id=unquote(object_id), history_id=version_id
        )
        if article is None:
            return super().history_form_view(
                request, object_id, version_id, extra_context
            )
        version_instance = record.instance
        restore = {
            name: request.GET.get(f"restore_{name}") == "1" for name in KEPT_ON_REVERT
        }
        request._revert_keep = {
            field: getattr(article, field)
            for group, fields in KEPT_ON_REVERT.items()
            if not restore[group]
            for field in fields
        }
        request._revert_record = record
        version = version_label(record)
        target = record.instance
        for field, value in request._revert_keep.items():
            setattr(target, field, value)
        extra_context = {
            "version": version,
            "record": record,
            "restore": restore,
            "changes": field_changes(
                self.model, article, target, REVERT_COMPARED_FIELDS
            ),
            "kept": [
                {
                    "group": group,
                    "label": KEPT_LABELS[group],
                    "restore": restore[group],
                    "differs": any(
                        getattr(article, field) != getattr(version_instance, field)
                        for field in fields
                    ),
                    "toggle_url": toggled_query(request, f"restore_{group}"),
                }
                for group, fields in KEPT_ON_REVERT.items()
            ],
            **(extra_context or {}),
        }
        return super().history_form_view(request, object_id, version_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        if "adminform" in context and getattr(request, "_revert_keep", None):
            # simple-history builds the form from that version: put back what is kept.
            form = context["adminform"].form
            if not form.is_bound:
                for field, value in request._revert_keep.items():
                    if field in form.fields:
                        form.initial[field] = value
        if "version" in context:
            context["title"] = f"Revert “{context['original']}” to {context['version']}"
        return super().render_history_view(request, template, context, **kwargs)

    def save_model(self, request, obj, form, change):
        record = getattr(request, "_revert_record", None)
        if record is not None:
            obj._change_reason = f"Reverted to {version_label(record, short=True)}"[
                :100
            ]
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        # Annotated before ModelAdmin orders it, so the count can be a sorting column.
        queryset = self.model._default_manager.with_live_links_in().annotate(
            useful_count=Count("feedback", filter=Q(feedback__is_useful=True)),
            not_useful_count=Count("feedback", filter=Q(feedback__is_useful=False)),
        )
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_ordering(self, request):
        if request.GET.get(WantedFilter.parameter_name) == "yes":
            return ["-live_links_in", "title"]
        return super().get_ordering(request)

    def changelist_view(self, request, extra_context=None):
        wanted = Article.objects.unwritten_linked()
        extra_context = {
            "wanted_count": wanted.count(),
            "wanted_url": f"?{WantedFilter.parameter_name}=yes",
            "missing_targets": unwritten_link_targets(limit=20),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def view_on_site(self, obj):
        # Drafts and scheduled articles have no public page yet: show the preview instead.
        return obj.get_absolute_url() if obj.is_live else obj.get_preview_url()

    @admin.display(description="overdue", boolean=True)
    def is_overdue(self, obj):
        return obj.is_review_overdue

    @admin.display(description="needs review", boolean=True)
    def shows_needs_review(self, obj):
        return obj.needs_review

    @admin.display(description="linked from live articles", ordering="live_links_in")
    def linked_from_live(self, obj):
        return obj.live_links_in or ""

    @admin.display(description="readers: useful / not", ordering="-not_useful_count")
    def feedback_counts(self, obj):
        if not (obj.useful_count or obj.not_useful_count):
            return ""
        return format_html(
            '<a href="{}?article__id__exact={}">{} / {}</a>',
            reverse("admin:education_articlefeedback_changelist"),
            obj.pk,
            obj.useful_count,
            obj.not_useful_count,
        )

    @admin.display(description="preview")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "Save the article to preview it."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview</a>',
            obj.get_preview_url(),
        )

    @admin.display(description="readability")
    def readability(self, obj):
        grade = obj.readability_grade if obj and obj.pk else None
        if grade is None:
            return "Write at least 30 words to see a reading grade."
        verdict = (
            "meets the plain-language target"
            if grade <= PLAIN_LANGUAGE_TARGET_GRADE
            else "above the plain-language target: use shorter sentences and simpler words"
        )
        return f"School grade {grade} (target: grade {PLAIN_LANGUAGE_TARGET_GRADE} or lower), {verdict}."

    @admin.action(description="Publish selected articles now", permissions=["change"])
    def publish_now(self, request, queryset):
        published, skipped = [], []
        for article in queryset:
            article.status = Article.Status.PUBLISHED
            if article.publish_at is None or article.publish_at > timezone.now():
                article.publish_at = timezone.now()
            if article.publication_problems():
                skipped.append(article.title)
                continue
            article.save()
            published.append(article.title)
        if published:
            self.message_user(request, f"Published: {', '.join(published)}.")
        if skipped:
            self.message_user(
                request,
                f"Not published (write a summary and text first): {', '.join(skipped)}.",
                messages.WARNING,
            )

    @admin.action(
        description="Return selected articles to draft", permissions=["change"]
    )
    def return_to_draft(self, request, queryset):
        titles = []
        for article in queryset:
            article.status = Article.Status.DRAFT
            article.save()
            titles.append(article.title)
        self.message_user(
            request, f"Back to draft (hidden from patients): {', '.join(titles)}."
        )
