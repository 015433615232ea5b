import datetime
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.utils import DatabaseError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from .models import Practice, Tagline

RETRY_AFTER_SECONDS = 30


class HomeView(TemplateView):
    template_name = "clinic/home.html"


class VisitView(TemplateView):
    template_name = "clinic/visit.html"


class PrivacyView(TemplateView):
    template_name = "clinic/privacy.html"


class AccessibilityView(TemplateView):
    template_name = "clinic/accessibility.html"


class LanguageAssistanceView(TemplateView):
    """The notice of availability of language assistance (45 CFR 92.11), with the taglines."""

    template_name = "clinic/language_assistance.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(taglines=Tagline.objects.all(), **kwargs)


class NondiscriminationView(TemplateView):
    """The notice of nondiscrimination (45 CFR 92.10)."""

    template_name = "clinic/nondiscrimination.html"


@never_cache
def healthz(request):
    """Readiness: 200 when the database answers, 503 (never 500) when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse(
            {"database": "unavailable"},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
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


def security_txt(request):
    """RFC 9116: how to report a security problem, from the practice record."""
    practice = Practice.get_current()
    contact = (
        f"mailto:{practice.email}"
        if practice and practice.email
        else f"tel:{practice.phone_e164}"
        if practice
        else None
    )
    expires = timezone.now().replace(microsecond=0) + datetime.timedelta(days=365)
    lines = [f"Contact: {contact}"] if contact else []
    lines += [
        f"Expires: {expires.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
        "Preferred-Languages: en",
        f"Canonical: {request.build_absolute_uri('/.well-known/security.txt')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def database_unavailable(request):
    """The 503 page: a static template with the practice's phone if the cache still has it."""
    body = render_to_string(
        "503.html", {"practice": Practice.get_cached(), "site_url": settings.SITE_URL}
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: self-contained (no database, no context processors).

    It runs inside Django's exception handler, so sys.exc_info() names the error: a database
    outage raised outside a view (e.g. while rendering an error page) still answers 503.
    """
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    return HttpResponseServerError(
        render_to_string("500.html", {"practice": Practice.get_cached()})
    )
