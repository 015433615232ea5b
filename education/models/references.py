"""An article's references, cited in the AMA style medical journals use."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .articles import Article

doi_validator = RegexValidator(
    r"^10\.\d{4,9}/\S+$",
    message="Enter a DOI such as 10.1038/nrdp.2017.2 (without “doi:” or https://doi.org/).",
    code="invalid_doi",
)


class Reference(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="references"
    )
    order = models.PositiveSmallIntegerField(
        default=1,
        help_text="The footnote number in the text (1 for the mark “1”).",
    )
    authors = models.CharField(
        max_length=300, help_text="As cited, e.g. “Colloca L, Ludman T, et al.”"
    )
    title = models.CharField(max_length=300)
    journal = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(
        max_length=40, blank=True, help_text="Volume and issue, e.g. “3”."
    )
    pages = models.CharField(
        max_length=40, blank=True, help_text="Pages or article number, e.g. “17002”."
    )
    published_on = models.DateField(null=True, blank=True)
    doi = models.CharField(
        "DOI",
        max_length=200,
        blank=True,
        validators=[doi_validator],
        help_text="e.g. 10.1038/nrdp.2017.2; patients get a link to https://doi.org/….",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "order", "pk"]
        verbose_name = "reference"
        verbose_name_plural = "references"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "order"], name="reference_number_once_per_article"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__regex=r"^10\.\d{4,9}/\S+$"),
                name="reference_doi_format",
            ),
        ]

    def __str__(self):
        return f"{self.authors} {self.title}"

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def anchor(self):
        return f"ref-{self.order}"

    @property
    def citation(self):
        """The reference in the AMA style medical journals use."""
        parts = [self.authors.rstrip(".") + ".", self.title.rstrip(".") + "."]
        if self.journal:
            parts.append(self.journal.rstrip(".") + ".")
        locator = str(self.year or "")
        if self.volume:
            locator += f";{self.volume}"
        if self.pages:
            locator += f":{self.pages}"
        if locator:
            parts.append(locator + ".")
        if self.published_on:
            parts.append(
                f"Published {self.published_on:%Y %b} {self.published_on.day}."
            )
        return " ".join(parts)
