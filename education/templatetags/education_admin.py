"""Patient education's block on the admin home page (templates/admin/clinic_index.html)."""

import datetime

from django import template
from django.utils import timezone

from ..models import Article, ArticleFeedback, unwritten_link_targets

register = template.Library()

MOST_WANTED_SHOWN = 3
FEEDBACK_DAYS = 30


@register.inclusion_tag("admin/includes/education_dashboard.html", takes_context=True)
def education_dashboard(context):
    user = context["request"].user
    if not user.has_perm("education.change_article"):
        return {"show": False}
    wanted = Article.objects.unwritten_linked()
    since = timezone.now() - datetime.timedelta(days=FEEDBACK_DAYS)
    return {
        "show": True,
        "show_feedback": user.has_perm("education.view_articlefeedback"),
        "feedback": ArticleFeedback.objects.filter(created_at__gte=since).counts(),
        "feedback_days": FEEDBACK_DAYS,
        "feedback_since": since.date(),
        "wanted_count": wanted.count(),
        "most_wanted": list(wanted[:MOST_WANTED_SHOWN]),
        "missing_count": len(unwritten_link_targets()),
    }
