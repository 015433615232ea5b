from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class PracticePagesSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return [
            "home",
            "visit",
            "privacy",
            "accessibility",
            "language_assistance",
            "nondiscrimination",
        ]

    def location(self, item):
        return reverse(item)
