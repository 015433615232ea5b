from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Practice"

    def ready(self):
        from . import signals  # noqa: F401


class ClinicAdminConfig(admin_apps.AdminConfig):
    """The admin, with two-factor sign-in required for every page (see clinic/admin_site.py)."""

    default = False  # "clinic" itself stays ClinicConfig
    default_site = "clinic.admin_site.ClinicAdminSite"
