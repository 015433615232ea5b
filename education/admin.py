from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csp import csp_override
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    PLAIN_LANGUAGE_TARGET_GRADE,
    Article,
    ArticleFeedback,
    Reference,
    RelatedArticle,
    SearchSynonym,
    Symptom,
    Topic,
    unwritten_link_targets,
)

# The prose editor styles its toolbar and content with inline styles (elements and attributes);
# allow those on the article editor only. A nonce would switch 'unsafe-inline' off, so styles go
# without one there; scripts keep the nonce (the editor's import map carries it).
EDITOR_CSP = settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}


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
    filter_horizontal = ["topics"]
    inlines = [ReferenceInline, RelatedArticleInline]
    readonly_fields = ["readability", "preview_link", "created_at", "updated_at"]
    actions = ["publish_now", "return_to_draft"]
    history_list_display = ["status", "slug"]
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

    @method_decorator(csp_override(EDITOR_CSP))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @method_decorator(csp_override(EDITOR_CSP))
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The "revert" page shows the same editor.
        return super().history_form_view(request, object_id, version_id, extra_context)

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


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Symptom)
class SymptomAdmin(SimpleHistoryAdmin):
    list_display = ["name", "order", "search_terms"]
    list_editable = ["order"]
    search_fields = ["name", "search_terms"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["articles"]


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ["phrase", "also_search_for", "updated_at"]
    search_fields = ["phrase", "also_search_for"]
    fields = ["phrase", "also_search_for"]


class HasCommentFilter(admin.SimpleListFilter):
    title = "note"
    parameter_name = "note"

    def lookups(self, request, model_admin):
        return [("yes", "With a note"), ("no", "Without a note")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comment="")
        if self.value() == "no":
            return queryset.filter(comment="")
        return queryset


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    """What readers answered; read-only, since it is theirs."""

    list_display = ["article", "is_useful", "comment", "created_at"]
    list_filter = ["is_useful", HasCommentFilter, "article"]
    date_hierarchy = "created_at"
    search_fields = ["comment", "article__title"]
    list_select_related = ["article"]
    fields = ["article", "is_useful", "comment", "created_at", "commented_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
