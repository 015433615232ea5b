"""What ties articles together: former addresses, “See also” links, and the links in their text
(kept on every save, so the admin knows which unwritten articles live ones point to)."""

from django.db import models
from django.db.models import Q


class ArticleSlug(models.Model):
    """An address an article had before staff changed its slug; it redirects permanently."""

    slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="old_slugs"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "former address"
        verbose_name_plural = "former addresses"

    def __str__(self):
        return f"/education/{self.slug}/"


class RelatedArticle(models.Model):
    from_article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="related_links"
    )
    to_article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="+", verbose_name="article"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "related article (“See also”)"
        verbose_name_plural = "related articles (“See also”, shown when published)"
        constraints = [
            models.UniqueConstraint(
                fields=["from_article", "to_article"], name="related_article_once"
            ),
            models.CheckConstraint(
                condition=~Q(from_article=models.F("to_article")),
                name="related_article_not_itself",
            ),
        ]

    def __str__(self):
        return f"{self.from_article} → {self.to_article}"


class ArticleLink(models.Model):
    """A link in one article's text to an article address, /education/<slug>/.

    Kept up to date on every save, so the admin can list the unwritten articles that live
    ones already point patients to.
    """

    from_article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="outgoing_links"
    )
    slug = models.SlugField(max_length=200)

    class Meta:
        ordering = ["from_article", "slug"]
        verbose_name = "link between articles"
        verbose_name_plural = "links between articles"
        constraints = [
            models.UniqueConstraint(
                fields=["from_article", "slug"], name="article_link_once"
            ),
        ]

    def __str__(self):
        return f"{self.from_article} → /education/{self.slug}/"
