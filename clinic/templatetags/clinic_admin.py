"""The practice's blocks on the admin home page (templates/admin/clinic_index.html)."""

from django import template

from ..models import Practice

register = template.Library()


@register.inclusion_tag("admin/includes/practice_about_prompt.html", takes_context=True)
def practice_about_prompt(context):
    """The owner's reminder while the About page's parts are empty (nothing is invented)."""
    user = context["request"].user
    practice = Practice.get_current()
    if practice is None or not user.has_perm("clinic.change_practice"):
        return {"show": False}
    missing = practice.missing_about_fields
    return {"show": bool(missing), "missing": missing, "practice": practice}
