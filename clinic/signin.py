"""Signing in to the admin: password and code on one form, guessing limits, the lockout page.

Whatever is wrong (the username, the password, the code, an account with no app), the form says
one thing, so that a guesser never learns that a password was right. Wrong codes count towards
the lockout like wrong passwords, and the lockout counts per account and address, per account,
and per address (IPv6 by its /64, clinic.network). django-otp pauses a device after each wrong
code for twice as long as before; that pause is capped, so that a guesser holding a stolen
password cannot keep the real user out for days.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters, get_client_username
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_variables
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

WRONG_SIGN_IN = (
    "That username, password and code do not match. Check all three and try again; the code "
    "is the one your authenticator app shows now (it changes every 30 seconds)."
)
USED_CODE = (
    "That code has been used already: each code signs in once. Wait until your app shows the "
    "next one (a new code comes every 30 seconds), then type that."
)
# django-otp waits 2^(n-1) seconds after the n-th wrong code in a row; from the 10th on, the
# wait stays at 2^9 s, about 8½ minutes (the lockout's own cool-off is 15 minutes).
MAX_COUNTED_CODE_FAILURES = 10

# Failures within the cool-off that pause signing in, per lockout parameter (settings.py lists
# the parameters): a pair is paused quickly, an account or an address only when tried from many
# addresses or against many accounts.
LOCKOUT_LIMITS = {
    frozenset({"username", "ip_address"}): 5,
    frozenset({"username"}): 20,
    frozenset({"ip_address"}): 20,
}


def code_field():
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


def _is_a_used_code(device, token):
    """Whether `token` is one of this device's codes that has signed in already."""
    if not token.isdigit():
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp.verify(int(token), device.tolerance) and totp.t() <= device.last_t


class StaffAuthenticationForm(AdminAuthenticationForm):
    """Username, password and authenticator code; any mistake gets the same answer."""

    otp_token = code_field()
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": WRONG_SIGN_IN,
        "inactive": WRONG_SIGN_IN,
    }

    def clean_otp_token(self):
        return "".join(self.cleaned_data["otp_token"].split())

    @sensitive_variables("password")
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        # A wrong password is counted by django-axes through authenticate()'s own signal.
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            raise self.get_invalid_login_error()
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
        )
        if not (user.is_active and user.is_staff) or device is None:
            # The password was right, but it opens nothing here on its own.
            self._count_failure(username)
            raise self.get_invalid_login_error()
        self._check_code(username, device, self.cleaned_data.get("otp_token", ""))
        user.otp_device = device  # django-otp keeps it in the session at login
        self.user_cache = user
        return self.cleaned_data

    def _check_code(self, username, device, token):
        if device.throttling_failure_count > MAX_COUNTED_CODE_FAILURES:
            TOTPDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=MAX_COUNTED_CODE_FAILURES
            )
            device.throttling_failure_count = MAX_COUNTED_CODE_FAILURES
        is_allowed, _ = device.verify_is_allowed()
        if not is_allowed:
            # Paused after wrong codes: not even a right code is tried, nor counted again.
            raise self.get_invalid_login_error()
        if token and _is_a_used_code(device, token):
            raise forms.ValidationError(USED_CODE, code="used_code")
        if not token or not device.verify_token(token):
            self._count_failure(username)
            raise self.get_invalid_login_error()

    def _count_failure(self, username):
        user_login_failed.send(
            sender=__name__,
            credentials={"username": username},
            request=self.request,
        )


class StaffLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, with a limit of its own for each lockout parameter.

    axes compares one number with one limit (AXES_FAILURE_LIMIT); here each parameter's count is
    scaled so that it reaches AXES_FAILURE_LIMIT exactly when it reaches its own limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        base = settings.AXES_FAILURE_LIMIT
        counts = []
        filters = self._filters(request, credentials)
        for filter_kwargs, attempts in zip(
            filters, self.get_user_attempts(request, credentials), strict=True
        ):
            failures = sum(attempts.values_list("failures_since_start", flat=True))
            limit = LOCKOUT_LIMITS.get(frozenset(filter_kwargs), base)
            counts.append(math.floor(failures * base / limit))
        return max(counts, default=0)

    @staticmethod
    def _filters(request, credentials):
        return get_client_parameters(
            get_client_username(request, credentials),
            request.axes_ip_address,
            request.axes_user_agent,
            request,
            credentials,
        )


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
