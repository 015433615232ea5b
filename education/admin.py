from django import forms
from django.conf import settings
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
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.csp import csp_override
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper
from sorl.thumbnail import ImageField

from clinic.widgets import LabelledFileInput

from .diffs import field_changes, word_diff
from .models import (
    PLAIN_LANGUAGE_TARGET_GRADE,
    REVISION_FIELDS,
    Article,
    ArticleFeedback,
    ArticleRevision,
    Reference,
    RelatedArticle,
    SearchSynonym,
    Symptom,
    Topic,
    unwritten_link_targets,
)
from .services import RevisionNotReady, publish_revision, start_revision

# The prose editor styles its toolbar and content with inline styles (elements and attributes);
# allow those on the article editor only. A nonce would switch 'unsafe-inline' off, so styles go
# without one there; scripts keep the nonce (the editor's import map carries it).
EDITOR_CSP = settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}


# What a revert keeps from the current article unless staff ask to restore it too.
KEPT_ON_REVERT = {
    "review": [
        "reviewer_name",
        "reviewer_credentials",
        "last_reviewed_on",
        "next_review_due",
    ],
    "publication": ["status", "publish_at", "slug"],
}
KEPT_LABELS = {
    "review": "the review details (reviewer, last reviewed, next review due)",
    "publication": "the publication settings (status, publish date, web address)",
}
REVERT_COMPARED_FIELDS = [
    "title",
    "slug",
    "summary",
    "body",
    "status",
    "publish_at",
    "reviewer_name",
    "reviewer_credentials",
    "last_reviewed_on",
    "next_review_due",
    "staff_notes",
]
# Fields whose history shows the changed words rather than "old → new" shortened.
TEXT_FIELDS = {"title", "summary", "body", "staff_notes", "reviewer_name"}


def version_label(record, *, short=False):
    """“version 3, saved March 3, 2026 at 10:14 AM by jane”: how staff tell versions apart."""
    number = getattr(record, "version_number", None) or (
        record.__class__.objects.filter(
            id=record.id, history_date__lte=record.history_date
        )
        .exclude(history_date=record.history_date, history_id__gt=record.history_id)
        .count()
    )
    when = timezone.localtime(record.history_date)
    if short:
        return f"version {number} of {when:%Y-%m-%d %H:%M}"
    who = f" by {record.history_user.get_username()}" if record.history_user else ""
    return f"version {number}, saved {when:%B} {when.day}, {when:%Y} at {when:%-I:%M %p}{who}"


def _toggled(request, name):
    query = request.GET.copy()
    if query.get(name) == "1":
        query.pop(name)
    else:
        query[name] = "1"
    return f"?{query.urlencode()}" if query else "?"


def _unsaved_preview_url(article):
    url = reverse("education:unsaved_preview")
    return f"{url}?article={article.pk}" if article and article.pk else url


class WordDiffContextHelper(HistoricalRecordContextHelper):
    """History entries show the words that changed in the text, not truncated raw HTML."""

    def context_for_delta_changes(self, delta):
        changes = []
        for change in delta.changes:
            if change.field in TEXT_FIELDS:
                label = self.model._meta.get_field(change.field).verbose_name
                changes.append(
                    {
                        "field": label[:1].upper() + label[1:],
                        "diff": word_diff(change.old, change.new),
                    }
                )
            else:
                changes.extend(super().context_for_delta_changes(_only(delta, change)))
        return changes


def _only(delta, change):
    return type(delta)(
        changes=[change],
        changed_fields=[change.field],
        old_record=delta.old_record,
        new_record=delta.new_record,
    )


class EditorsOnlyMixin:
    """Whoever may edit articles manages these too (no separate permissions to hand out)."""

    def _is_editor(self, request):
        return request.user.has_perm("education.change_article")

    def has_module_permission(self, request):
        return self._is_editor(request)

    def has_add_permission(self, request):
        return self._is_editor(request)

    def has_view_permission(self, request, obj=None):
        return self._is_editor(request)

    def has_change_permission(self, request, obj=None):
        return self._is_editor(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_editor(request)


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


EDITOR_MEDIA = forms.Media(js=["education/editor-label.js"])


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
            "preview_url": _unsaved_preview_url(article),
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
                    "toggle_url": _toggled(request, f"restore_{group}"),
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
class SearchSynonymAdmin(EditorsOnlyMixin, admin.ModelAdmin):
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
class ArticleFeedbackAdmin(EditorsOnlyMixin, admin.ModelAdmin):
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
            "preview_url": _unsaved_preview_url(revision.article if revision else None),
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
