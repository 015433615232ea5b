from django import template

from ..models import Tagline

register = template.Library()

# 45 CFR 92.11: taglines in at least the 15 languages most spoken by people with limited
# English proficiency in the state, as listed by HHS's Office for Civil Rights.
REQUIRED_LANGUAGE_COUNT = 15


@register.inclusion_tag(
    "admin/includes/language_notices_dashboard.html", takes_context=True
)
def language_notices_dashboard(context):
    """The owner's reminder on the admin home: unreviewed taglines and the list of languages."""
    user = context["request"].user
    if not user.has_perm("clinic.change_tagline"):
        return {"show": False}
    taglines = list(Tagline.objects.all())
    # zh-Hans and zh-Hant are one language (Chinese) in HHS's list.
    languages = {tagline.language_code.split("-")[0] for tagline in taglines}
    return {
        "show": True,
        "unreviewed": [tagline for tagline in taglines if not tagline.is_reviewed],
        "tagline_count": len(taglines),
        "language_count": len(languages),
        "required_language_count": REQUIRED_LANGUAGE_COUNT,
    }
