from django.urls import path

from . import views
from .feeds import ArticleFeed

app_name = "education"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("search/", views.search, name="search"),
    path("symptoms/", views.symptom_list, name="symptom_list"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic_detail"),
    path("feed/", ArticleFeed(), name="feed"),
    path("preview/<int:pk>/", views.article_preview, name="article_preview"),
    path("preview/<int:pk>/draft/", views.revision_preview, name="revision_preview"),
    path("preview/unsaved/", views.unsaved_preview, name="unsaved_preview"),
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/<uuid:public_id>/", views.feedback_thanks, name="feedback_thanks"),
    path("<slug:slug>/", views.article_detail, name="article_detail"),
]
