"""What editing articles needs in the admin: the editor's CSP, versions by name, word
diffs in the history, and editors-only access to the article tools."""

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from simple_history.template_utils import HistoricalRecordContextHelper

from ..diffs import word_diff

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


def toggled_query(request, name):
    query = request.GET.copy()
    if query.get(name) == "1":
        query.pop(name)
    else:
        query[name] = "1"
    return f"?{query.urlencode()}" if query else "?"


def unsaved_preview_url(article):
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
                changes.extend(
                    super().context_for_delta_changes(only_change(delta, change))
                )
        return changes


def only_change(delta, change):
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


EDITOR_MEDIA = forms.Media(js=["education/editor-label.js"])
