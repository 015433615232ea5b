"""Readers' answers to “Is this page useful?”, with their notes."""

from django.contrib import admin

from ..models import (
    ArticleFeedback,
)
from .editing import (
    EditorsOnlyMixin,
)


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
