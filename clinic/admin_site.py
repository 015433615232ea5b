"""The staff admin: two-factor sign-in (django-otp TOTP), self-service enrolment, lockout page.

Every staff member signs in with a password and the 6-digit code of an authenticator app. A staff
member who has no confirmed device yet may sign in with the password alone, but then reaches only
the enrolment page, which shows a QR code to scan and asks for the first code.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

from .admin_menu import PracticeAppListMixin
from .models import Practice

ENROLMENT_DEVICE_NAME = "Authenticator app"


def totp_issuer(device):
    """The name the authenticator app shows next to the code (OTP_TOTP_ISSUER)."""
    practice = Practice.get_current()
    return f"{practice.name} staff" if practice else "Practice website staff"


def _token_field():
    return forms.CharField(
        label="6-digit code from your authenticator app",
        required=False,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "size": 8,
            }
        ),
    )


class StaffAuthenticationForm(OTPAdminAuthenticationForm):
    """Password and authenticator code on one page; the device is chosen for the user."""

    otp_token = _token_field()
    otp_error_messages = dict(
        OTPAdminAuthenticationForm.otp_error_messages,
        token_required="Enter the 6-digit code shown in your authenticator app.",
        invalid_token="That code did not match. Type the 6 digits your authenticator app shows now (a code changes every 30 seconds).",
    )

    def clean(self):
        cleaned_data = super(OTPAdminAuthenticationForm, self).clean()
        user = self.get_user()
        if user is not None and not user_has_device(user, confirmed=True):
            # Not enrolled yet: the password alone signs in, but the site only lets this
            # session reach the enrolment page (ClinicAdminSite.has_permission is False).
            return cleaned_data
        self.clean_otp(user)
        return cleaned_data

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            # Staff have one authenticator each; asking them to pick it from a list is noise.
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def clean_otp_token(self):
        return "".join(self.cleaned_data["otp_token"].split())


class EnrolmentForm(forms.Form):
    otp_token = _token_field()

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = "".join(self.cleaned_data["otp_token"].split())
        if not token:
            raise forms.ValidationError(
                "Enter the 6-digit code shown in your authenticator app.",
                code="required",
            )
        is_allowed, _ = self.device.verify_is_allowed()
        if not is_allowed:
            raise forms.ValidationError(
                "Several wrong codes in a row. Wait a few seconds, then type the code your app shows now.",
                code="throttled",
            )
        if not self.device.verify_token(token):
            raise forms.ValidationError(
                "That code did not match. Check that you scanned the code on this page, then type the 6 digits your app shows now.",
                code="invalid_token",
            )
        return token


def qr_code_data_uri(text):
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def grouped_secret(device):
    """The key in groups of four, for typing into an app by hand when scanning fails."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


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
        return [
            path(
                "two-factor/set-up/",
                self.enrolment_view,
                name="two_factor_enrolment",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def needs_enrolment(request):
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and not user_has_device(user, confirmed=True)
        )

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if request.user.is_authenticated and self.needs_enrolment(request):
            return redirect("admin:two_factor_enrolment")
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and isinstance(response, HttpResponseRedirect)
            and self.needs_enrolment(request)
        ):
            return redirect("admin:two_factor_enrolment")
        return response

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def enrolment_view(self, request):
        if not request.user.is_authenticated:
            return redirect(
                f"{reverse('admin:login')}?{REDIRECT_FIELD_NAME}={reverse('admin:index')}"
            )
        if request.user.is_verified():
            return redirect("admin:index")
        if not self.needs_enrolment(request):
            # Signed in with a password but already enrolled (or not staff): no way round the code.
            raise PermissionDenied

        # One pending device per person, so reloading the page keeps the same QR code.
        device, _ = TOTPDevice.objects.get_or_create(
            user=request.user,
            confirmed=False,
            defaults={"name": ENROLMENT_DEVICE_NAME},
        )
        form = EnrolmentForm(request.POST or None, device=device)
        if request.method == "POST" and form.is_valid():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            otp_login(request, device)
            messages.success(
                request,
                "Two-factor sign-in is set up. From now on, sign in with your password and the code from your app.",
            )
            return redirect("admin:index")
        context = {
            **self.each_context(request),
            "title": "Set up two-factor sign-in",
            "form": form,
            "qr_code": qr_code_data_uri(device.config_url),
            "secret": grouped_secret(device),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/two_factor_enrolment.html", context)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: 429 and what to do now (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in paused",
        "cooloff_minutes": minutes,
    }
    return TemplateResponse(
        request, "admin/locked_out.html", context, status=429
    ).render()
