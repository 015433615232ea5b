from django.urls import path
from django.views.generic import TemplateView

app_name = "education"

urlpatterns = [
    # Placeholder until the articles issue lands.
    path(
        "",
        TemplateView.as_view(template_name="education/article_list.html"),
        name="article_list",
    ),
]
