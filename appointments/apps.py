from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .groups import create_groups_after_migrate


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointment and contact requests"

    def ready(self):
        # After `flush` too (transactional tests), which empties the groups table.
        post_migrate.connect(create_groups_after_migrate, sender=self)
