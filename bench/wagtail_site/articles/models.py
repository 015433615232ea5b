from wagtail.fields import RichTextField
from wagtail.models import Page


class ArticlePage(Page):
    """A patient-education article: a title and a rich-text body, as the site's articles."""

    summary = RichTextField(blank=True)
    body = RichTextField()
