"""Symptoms: the words patients use, each leading to the articles about it."""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .articles import Article


class Symptom(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    search_terms = models.CharField(
        max_length=300,
        blank=True,
        help_text="Other words patients use for it, e.g. “pins and needles, prickling”. They help search find the articles.",
    )
    articles = models.ManyToManyField(Article, blank=True, related_name="symptoms")
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "symptom"
        verbose_name_plural = "symptoms"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("education:symptom_list") + f"#{self.slug}"
