import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Same escaping as Django's json_script, so text typed in the admin cannot close the tag.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def absolute_url(view_name, *args):
    """A full link for emails, which have no request to take the host from."""
    return settings.SITE_URL + reverse(view_name, args=args)


@register.simple_tag
def jsonld(data):
    """Render a schema.org object as a JSON-LD block."""
    if not data:
        return ""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(
        _JSON_ESCAPES
    )
    return format_html(
        '<script type="application/ld+json">{}</script>', mark_safe(payload)
    )


def practice_schema(practice, site_url=""):
    """schema.org MedicalClinic for the practice, with the practitioner as Physician."""
    if practice is None:
        return None
    clinic = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": practice.name,
        "telephone": practice.phone_e164,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": practice.street_address,
            "addressLocality": practice.city,
            "addressRegion": practice.state,
            "postalCode": practice.postal_code,
            "addressCountry": "US",
        },
        "employee": {
            "@type": "Physician",
            "name": practice.practitioner_display_name,
        },
    }
    if site_url:
        clinic["url"] = f"{site_url}/"
    if practice.email:
        clinic["email"] = practice.email
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{slot.get_weekday_display()}",
            "opens": slot.opens_at.strftime("%H:%M"),
            "closes": slot.closes_at.strftime("%H:%M"),
        }
        for slot in practice.opening_hours.all()
    ]
    if hours:
        clinic["openingHoursSpecification"] = hours
    return clinic


@register.simple_tag(takes_context=True)
def practice_jsonld(context):
    return jsonld(practice_schema(context.get("practice"), context.get("site_url", "")))
