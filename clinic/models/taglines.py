"""Language-assistance taglines (HHS Section 1557) and the checks on their language tags."""

import re

import langcodes
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

# Scripts written right to left (ISO 15924): a tagline in one of them needs dir="rtl".
RIGHT_TO_LEFT_SCRIPTS = frozenset(
    {"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa", "Yezi"}
)
PHONE_PLACEHOLDER = "{phone}"


# RFC 5646 syntax: subtags of 1-8 letters or digits joined by hyphens (langcodes alone would also
# take "es_ES", which HTML checkers refuse).
LANGUAGE_TAG_SYNTAX = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*")


def is_language_tag(value: str) -> bool:
    # Each subtag is checked against the IANA registry langcodes ships, as HTML checkers do.
    return bool(LANGUAGE_TAG_SYNTAX.fullmatch(value)) and langcodes.tag_is_valid(value)


def validate_language_tag(value):
    if not is_language_tag(value):
        raise ValidationError(
            "“%(value)s” is not a language tag. Use a BCP 47 tag such as es (Spanish), "
            "pt (Portuguese), zh-Hant (Chinese, Traditional), ht (Haitian Creole) or ar (Arabic).",
            code="invalid_language_tag",
            params={"value": value},
        )


class TextDirection(models.TextChoices):
    LEFT_TO_RIGHT = "ltr", "Left to right"
    RIGHT_TO_LEFT = "rtl", "Right to left (Arabic, Farsi, Hebrew, Urdu…)"


class TaglineQuerySet(models.QuerySet):
    def unreviewed(self):
        """Taglines no qualified translator has checked yet (45 CFR 92.201)."""
        return self.filter(reviewed_on__isnull=True)


class Tagline(models.Model):
    """One short sentence, in one language, saying free language help is available and how."""

    language_code = models.CharField(
        "language tag",
        max_length=35,
        unique=True,
        validators=[validate_language_tag],
        help_text="The language's BCP 47 tag, e.g. es (Spanish), pt (Portuguese), zh-Hans or "
        "zh-Hant (Chinese, Simplified or Traditional), ht (Haitian Creole), ar (Arabic). "
        "Screen readers and browsers use it to choose the voice and the font.",
    )
    english_name = models.CharField(
        "language (in English)",
        max_length=80,
        help_text="For staff, e.g. “Spanish”.",
    )
    language_name = models.CharField(
        "language (in itself)",
        max_length=80,
        help_text="The language's name as its speakers write it, e.g. “Español”, “繁體中文”, "
        "“العربية”. Shown above the tagline.",
    )
    text = models.TextField(
        help_text="One or two sentences in this language: free language assistance is "
        "available, call the practice. Write {phone} where the phone number goes; the site "
        "fills in the practice's number.",
    )
    direction = models.CharField(
        "text direction",
        max_length=3,
        choices=TextDirection.choices,
        default=TextDirection.LEFT_TO_RIGHT,
        help_text="Right to left for Arabic, Farsi, Hebrew and Urdu; left to right otherwise.",
    )
    sort_order = models.PositiveSmallIntegerField(
        "order",
        default=100,
        help_text="Lower numbers are listed first: list the languages most spoken in "
        "Massachusetts first.",
    )
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the text comes from, e.g. the translation agency or “HHS sample "
        "tagline”.",
    )
    reviewed_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="Name and qualification of the translator who checked this text. Leave "
        "empty until a qualified translator has reviewed it.",
    )
    reviewed_on = models.DateField(
        null=True,
        blank=True,
        help_text="The date of that review. Empty means “not yet reviewed by a qualified "
        "translator”, and the admin home page lists the tagline until it is.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TaglineQuerySet.as_manager()

    class Meta:
        verbose_name = "language assistance tagline"
        verbose_name_plural = "language assistance taglines"
        ordering = ["sort_order", "english_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=TextDirection.values),
                name="tagline_direction_is_ltr_or_rtl",
            ),
            models.CheckConstraint(
                condition=Q(text__contains=PHONE_PLACEHOLDER),
                name="tagline_text_has_phone_placeholder",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by="", reviewed_on__isnull=True)
                | (~Q(reviewed_by="") & Q(reviewed_on__isnull=False)),
                name="tagline_review_has_reviewer_and_date",
            ),
        ]

    def __str__(self):
        return f"{self.english_name} ({self.language_code})"

    @property
    def is_reviewed(self):
        return self.reviewed_on is not None

    @property
    def text_parts(self):
        """The text around the phone number, for the template to put the number between."""
        return self.text.split(PHONE_PLACEHOLDER)

    def clean(self):
        errors = {}
        if is_language_tag(self.language_code):
            # One spelling per language (zh-hant → zh-Hant, iw → he), so each is listed once.
            self.language_code = langcodes.standardize_tag(self.language_code)
            script = langcodes.Language.get(self.language_code).maximize().script
            expected = (
                TextDirection.RIGHT_TO_LEFT
                if script in RIGHT_TO_LEFT_SCRIPTS
                else TextDirection.LEFT_TO_RIGHT
            )
            if self.direction != expected:
                errors["direction"] = ValidationError(
                    "This language is written %(direction)s: choose “%(label)s”.",
                    code="wrong_direction",
                    params={
                        "direction": expected.label.split(" (")[0].lower(),
                        "label": expected.label,
                    },
                )
        if self.text and self.text.count(PHONE_PLACEHOLDER) != 1:
            errors["text"] = ValidationError(
                "Write {phone} once, where the practice's phone number goes.",
                code="phone_placeholder",
            )
        if bool(self.reviewed_by) != bool(self.reviewed_on):
            field = "reviewed_on" if self.reviewed_by else "reviewed_by"
            errors[field] = ValidationError(
                "Enter both the reviewer and the date of the review, or leave both empty.",
                code="incomplete_review",
            )
        elif self.is_reviewed and self.pk:
            before = (
                Tagline.objects.filter(pk=self.pk).values("text", "reviewed_on").first()
            )
            if (
                before
                and before["text"] != self.text
                and before["reviewed_on"] == self.reviewed_on
            ):
                errors["reviewed_on"] = ValidationError(
                    "The text changed after its review: enter the date a translator "
                    "reviewed the new text, or empty the reviewer and the date.",
                    code="text_changed_after_review",
                )
        if errors:
            raise ValidationError(errors)
