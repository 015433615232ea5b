"""The cancellation list on the admin home: who is waiting for an earlier time (one query)."""

from django import template

from ..models import WaitlistEntry

register = template.Library()

LIST_SIZE = 10


@register.simple_tag(takes_context=True)
def cancellation_list(context):
    """The first waiting entries in the order patients asked, and how many wait in all; None
    for staff who may not see the list."""
    request = getattr(context, "request", None)
    if request is None or not request.user.has_perm("appointments.view_waitlistentry"):
        return None
    waiting = WaitlistEntry.objects.waiting().order_by("created_at", "pk")
    entries = list(
        waiting.select_related("visit__patient", "visit__practitioner")[: LIST_SIZE + 1]
    )
    count = len(entries) if len(entries) <= LIST_SIZE else waiting.count()
    entries = entries[:LIST_SIZE]
    return {"entries": entries, "count": count, "more": count - len(entries)}
