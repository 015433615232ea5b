from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load the practice's seed content (practice information, articles). Safe to run again: "
        "it adds what is missing and never overwrites staff edits."
    )

    def handle(self, *args, **options):
        # Each app may ship a `seed` module with load(stdout); run them in INSTALLED_APPS order.
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.seed"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).load(self.stdout)
