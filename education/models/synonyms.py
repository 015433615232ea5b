"""Search synonyms: the words patients type for what the articles call something else."""

import re

from django.core.exceptions import ValidationError
from django.db import models


def normalize_phrase(text: str) -> str:
    """Lower case, words only, single spaces: how search compares a query with a synonym."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


class SearchSynonym(models.Model):
    phrase = models.CharField(
        "when patients search for",
        max_length=80,
        unique=True,
        help_text="A word or short phrase patients might type, e.g. “sciatica”.",
    )
    also_search_for = models.CharField(
        "also find articles about",
        max_length=300,
        help_text="Words our articles use for it, separated by commas, e.g. "
        "“nerve pain, radiating pain”. Search then finds those articles too.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = "search synonym"
        verbose_name_plural = "search synonyms"

    def __str__(self):
        return f"{self.phrase} → {self.also_search_for}"

    def save(self, *args, **kwargs):
        self.phrase = normalize_phrase(self.phrase)
        super().save(*args, **kwargs)

    def clean(self):
        # Empty fields are the form's "required" error; these catch punctuation-only text.
        errors = {}
        if self.phrase.strip() and not normalize_phrase(self.phrase):
            errors["phrase"] = ValidationError(
                "Type the word or phrase patients search for.", code="phrase_required"
            )
        if self.also_search_for.strip() and not self.alternatives:
            errors["also_search_for"] = ValidationError(
                "Type at least one word the articles use.", code="alternatives_required"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def alternatives(self) -> list[str]:
        """The comma-separated words and phrases, normalized, without repeats."""
        found = (normalize_phrase(part) for part in self.also_search_for.split(","))
        return list(dict.fromkeys(part for part in found if part))
