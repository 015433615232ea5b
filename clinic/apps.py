from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Practice"

    def ready(self):
        from . import signals  # noqa: F401
