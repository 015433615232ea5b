from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from education.sitemaps import ArticleSitemap, EducationPagesSitemap, TopicSitemap

from . import views
from .pagecache import cache_public_page
from .sitemaps import PracticePagesSitemap

sitemaps = {
    "pages": PracticePagesSitemap,
    "education": EducationPagesSitemap,
    "topics": TopicSitemap,
    "articles": ArticleSitemap,
}

urlpatterns = [
    # Wrapping a view in cache_public_page is all it takes to share its page from the cache.
    path("", cache_public_page(views.HomeView.as_view()), name="home"),
    path("visit/", cache_public_page(views.VisitView.as_view()), name="visit"),
    path("privacy/", cache_public_page(views.PrivacyView.as_view()), name="privacy"),
    path(
        "accessibility/",
        cache_public_page(views.AccessibilityView.as_view()),
        name="accessibility",
    ),
    path(
        "language-assistance/",
        cache_public_page(views.LanguageAssistanceView.as_view()),
        name="language_assistance",
    ),
    path(
        "nondiscrimination/",
        cache_public_page(views.NondiscriminationView.as_view()),
        name="nondiscrimination",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("education/", include("education.urls")),
    path("", include("appointments.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler500 = "clinic.views.server_error"
