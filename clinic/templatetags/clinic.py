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


def practice_reference(practice, site_url=""):
    """The practice as other structured data names it (an article's author and publisher)."""
    reference = {"@type": "MedicalClinic", "name": practice.name}
    if site_url:
        reference["@id"] = f"{site_url}/#practice"
        reference["url"] = f"{site_url}/"
    return reference


def physician_schema(practice, site_url=""):
    """The practitioner as schema.org Physician: only what staff entered."""
    physician = {"@type": "Physician", "name": practice.practitioner_display_name}
    if site_url:
        physician["url"] = f"{site_url}{reverse('about')}"
    if practice.practitioner_photo:
        physician["image"] = f"{site_url}{practice.practitioner_photo.url}"
    if practice.practitioner_bio:
        physician["description"] = practice.practitioner_bio
    if practice.medical_specialty:
        physician["medicalSpecialty"] = (
            f"https://schema.org/{practice.medical_specialty}"
        )
    return physician


def practice_schema(practice, site_url=""):
    """schema.org MedicalClinic for the practice, with the practitioner as Physician."""
    if practice is None:
        return None
    clinic = {
        "@context": "https://schema.org",
        **practice_reference(practice, site_url),
        "telephone": practice.phone_e164,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": practice.street_address,
            "addressLocality": practice.city,
            "addressRegion": practice.state,
            "postalCode": practice.postal_code,
            "addressCountry": "US",
        },
        "employee": physician_schema(practice, site_url),
    }
    if practice.email:
        clinic["email"] = practice.email
    if practice.medical_specialty:
        clinic["medicalSpecialty"] = f"https://schema.org/{practice.medical_specialty}"
    if practice.latitude is not None and practice.longitude is not None:
        clinic["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(practice.latitude),
            "longitude": float(practice.longitude),
        }
    if practice.map_url:
        clinic["hasMap"] = practice.map_url
    if practice.same_as_urls:
        clinic["sameAs"] = practice.same_as_urls
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
    # Closed all day: opens and closes at midnight, for the days the closure covers.
    closures = [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": closure.start_date.isoformat(),
            "validThrough": closure.end_date.isoformat(),
            "opens": "00:00",
            "closes": "00:00",
            **({"description": closure.public_note} if closure.public_note else {}),
        }
        for closure in practice.upcoming_closures()
    ]
    if closures:
        clinic["specialOpeningHoursSpecification"] = closures
    return clinic


@register.simple_tag(takes_context=True)
def practice_jsonld(context):
    return jsonld(practice_schema(context.get("practice"), context.get("site_url", "")))


@register.filter
def full_stop(text):
    """End a sentence with one full stop: “D.C.” stays “D.C.”, never “D.C..”."""
    text = str(text).rstrip()
    return text if not text or text[-1] in ".!?" else f"{text}."
