"""Topics, symptoms and search synonyms: the words that lead patients to articles."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    SearchSynonym,
    Symptom,
    Topic,
)
from .editing import (
    EditorsOnlyMixin,
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
