from django import template

from ..backups.health import backup_health

register = template.Library()


@register.inclusion_tag("admin/includes/backup_status.html", takes_context=True)
def backup_status(context):
    """The owner's backup block on the admin home: a warning when backups are not happening."""
    if not context["request"].user.is_superuser:
        return {"show": False}
    return {"show": True, "health": backup_health()}
