from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from clinic.models import Practice

from .models import Article


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = "Patient education: neuropathy and nerve pain"
    link = reverse_lazy("education:article_list")
    subtitle = "New and updated patient-education articles."

    def author_name(self):
        # RFC 4287 requires an author: the practice, whose pages these are.
        practice = Practice.get_current()
        return practice.name if practice else "Patient education"

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        # The author's address must be absolute, like every other link in the feed.
        feed.feed["author_link"] = request.build_absolute_uri(reverse("home"))
        return feed

    def items(self):
        return Article.objects.published().order_by("-publish_at")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at
