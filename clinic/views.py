from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "clinic/home.html"


class VisitView(TemplateView):
    template_name = "clinic/visit.html"


class PrivacyView(TemplateView):
    template_name = "clinic/privacy.html"


class AccessibilityView(TemplateView):
    template_name = "clinic/accessibility.html"


@never_cache
def healthz(request):
    """Readiness: 200 when the database answers, 503 (never 500) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse(
            {"database": "unavailable"}, status=503, headers={"Retry-After": "10"}
        )
    return JsonResponse({"database": "ok"})


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /appointments/",
        "Disallow: /education/preview/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
