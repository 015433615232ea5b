from django.contrib.auth.management import create_permissions
from django.db import migrations

from appointments.groups import grant_new_permissions


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    grant_new_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0008_schedule_constraints")]

    # The front desk enters patients and books their visits; practitioners see them.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
