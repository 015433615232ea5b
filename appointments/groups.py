"""The staff groups and what each may do. Only superusers delete requests or manage users.

Created by migration 0003 and re-created after every `migrate`/`flush` when missing (a
post_migrate handler), so a fresh or flushed database always has them. A group that exists is
left alone: a superuser's changes to it are kept.
"""

from django.apps import apps as installed_apps

STAFF_GROUPS = {
    "Front desk": {
        "appointments": [
            "view_appointmentrequest",
            "change_appointmentrequest",
            "export_appointmentrequest",
            "view_contactmessage",
            "change_contactmessage",
            "view_notification",
            "view_visit",
            "add_visit",
            "change_visit",
            "view_statuschange",
            # Phone-in patients are entered and kept up to date by the front desk.
            "view_patient",
            "add_patient",
            "change_patient",
            "view_practitioner",
            "view_visittype",
            "view_visitseries",
            # Who waits for an earlier time; staff may take someone off the list.
            "view_waitlistentry",
            "change_waitlistentry",
            "view_waitlistoffer",
        ],
    },
    # Whose accounts can be booked for visits; they see the requests and the schedule.
    "Practitioners": {
        "appointments": [
            "view_appointmentrequest",
            "view_visit",
            "view_statuschange",
            "view_patient",
            "view_practitioner",
            "view_visittype",
            "view_waitlistentry",
        ],
    },
    # Patient-education articles: everything except deleting an article (unpublish instead).
    "Editors": {"education": "all but delete_article"},
}


def group_permissions(Permission, spec):
    permissions = Permission.objects.none()
    for app_label, codenames in spec.items():
        in_app = Permission.objects.filter(content_type__app_label=app_label)
        if codenames == "all but delete_article":
            # History rows are evidence of who changed what: editors only read them.
            permissions |= in_app.exclude(codename="delete_article").exclude(
                codename__regex=r"^(add|change|delete)_historical"
            )
        else:
            permissions |= in_app.filter(codename__in=codenames)
    return permissions


def create_missing_groups(apps, *, refresh_permissions=False):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in STAFF_GROUPS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created or refresh_permissions:
            group.permissions.set(group_permissions(Permission, spec))


def grant_new_permissions(apps):
    """Give each existing group the permissions its spec has gained (never taking any away)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, spec in STAFF_GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*group_permissions(Permission, spec))


def create_groups_after_migrate(sender, apps=None, using="default", **kwargs):
    if apps is None:
        # `flush` sends post_migrate without the migration state: use the real models.
        apps = installed_apps
    try:
        apps.get_model("auth", "Group")
    except LookupError:
        return
    create_missing_groups(apps)
