"""The admin's menu in the practice's words.

Libraries register models a practice does not think in (Axes, OTP_TOTP, "Tasks database
backend"). Everyone but superusers never sees them; superusers find them under one heading,
“Security and system”, with plain names. The rest keeps its apps, named as staff say them.
"""

SYSTEM_APP = {"name": "Security and system", "app_label": "system"}
# app label -> the name staff read on the admin home and in the side menu.
APP_NAMES = {
    "appointments": "Patients, appointments and messages",
    "clinic": "Practice",
    "education": "Patient education",
    "auth": "Staff accounts",
}
# (app label, model name) -> the plain name of a library's model.
SYSTEM_MODELS = {
    ("axes", "accessattempt"): "Sign-in attempts (locks after 5 wrong tries)",
    ("axes", "accessfailurelog"): "Failed sign-ins",
    ("axes", "accesslog"): "Sign-in log",
    ("otp_totp", "totpdevice"): "Authenticator apps of staff",
    ("django_tasks_database", "dbtaskresult"): "Background jobs (emails, reminders)",
    ("thumbnail", "kvstore"): "Image thumbnails",
}
SYSTEM_APPS = {app for app, _ in SYSTEM_MODELS}


class PracticeAppListMixin:
    """For ClinicAdminSite: get_app_list() in the practice's words."""

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        system_models = []
        result = []
        for app in apps:
            if app["app_label"] in SYSTEM_APPS:
                if request.user.is_superuser:
                    for model in app["models"]:
                        key = (app["app_label"], model["object_name"].lower())
                        model["name"] = SYSTEM_MODELS.get(key, model["name"])
                        system_models.append(model)
                continue
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
            result.append(app)
        if system_models and app_label in (None, *SYSTEM_APPS):
            result.append(
                {
                    **SYSTEM_APP,
                    "app_url": system_models[0]["admin_url"],
                    "has_module_perms": True,
                    "models": sorted(system_models, key=lambda model: model["name"]),
                }
            )
        return result
