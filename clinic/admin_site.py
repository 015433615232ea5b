"""The staff admin: every page needs a password and a code from an authenticator app.

django-otp's OTPAdminSite refuses sessions not verified by a confirmed device. Signing in is
clinic/signin.py (one form, guessing limits, lockout); getting a first password and app is the
single-use set-up link, clinic/staff_setup.py, issued by an owner (clinic/staff_admin.py).
"""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite

from .admin_menu import PracticeAppListMixin
from .signin import StaffAuthenticationForm
from .staff_setup import setup_urls


class ClinicAdminSite(PracticeAppListMixin, OTPAdminSite):
    site_header = "Practice administration"
    site_title = "Practice administration"
    index_title = "Front desk"
    login_form = StaffAuthenticationForm
    login_template = "admin/clinic_login.html"
    # Adds the front desk's dashboard block (appointments' {% frontdesk_dashboard %} tag) and the
    # owner's backup warning (clinic's {% backup_status %}).
    index_template = "admin/clinic_index.html"

    def __init__(self, name="admin"):
        # OTPAdminSite names itself "otpadmin"; keep "admin" so every reverse("admin:...") works.
        super().__init__(name)

    def get_urls(self):
        return [*setup_urls(self), *super().get_urls()]

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        return super().login(request, extra_context)
