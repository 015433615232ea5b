"""Patient education's block on the admin home page (templates/admin/clinic_index.html)."""

from django import template

from ..models import Article, unwritten_link_targets

register = template.Library()

MOST_WANTED_SHOWN = 3


@register.inclusion_tag("admin/includes/education_dashboard.html", takes_context=True)
def education_dashboard(context):
    user = context["request"].user
    if not user.has_perm("education.change_article"):
        return {"show": False}
    wanted = Article.objects.unwritten_linked()
    return {
        "show": True,
        "wanted_count": wanted.count(),
        "most_wanted": list(wanted[:MOST_WANTED_SHOWN]),
        "missing_count": len(unwritten_link_targets()),
    }
