"""The set-up link's pages: choose a password, scan the QR code, type the first code.

The link (from "Add staff member" or a new set-up link) is checked, then kept in the session and
the browser sent on to a page without it in the address. The authenticator's secret is made for
that session alone and kept in it, never in the database until the first code proves the phone
has it: whoever merely saw a QR code on screen, in another session, has nothing that will work.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from .network import client_ip
from .signin import code_field
from .staff_accounts import (
    enrol_device,
    grouped_secret,
    link_hours,
    matching_time_step,
    new_totp_secret,
    setup_link_tokens,
    totp_config_url,
)

SESSION_KEY = "clinic:staff_setup"


class StaffSetupForm(SetPasswordForm):
    otp_token = code_field()

    def __init__(self, user, *args, secret, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.secret = secret
        self.time_step = None
        self.fields["otp_token"].required = True
        self.fields["otp_token"].error_messages["required"] = (
            "Type the 6-digit code your authenticator app shows for this site."
        )

    def clean_otp_token(self):
        token = "".join(self.cleaned_data["otp_token"].split())
        self.time_step = matching_time_step(secret=self.secret, token=token)
        if self.time_step is None:
            raise ValidationError(
                "That code did not match. Check that you scanned the code on this page, then "
                "type the 6 digits your app shows now.",
                code="invalid_token",
            )
        return token


def qr_code_data_uri(text):
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _user_for(uidb64):
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
        return get_user_model().objects.get(pk=pk, is_active=True)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        return None


def _invalid_link(request, site):
    request.session.pop(SESSION_KEY, None)
    context = {**site.each_context(request), "title": "This set-up link does not work"}
    request.current_app = site.name
    return TemplateResponse(
        request,
        "admin/staff_setup_invalid.html",
        {**context, "link_hours": link_hours()},
        status=400,
    )


def setup_link_view(request, uidb64, token, *, site):
    """The link itself: checked, then kept in the session, out of the address bar."""
    user = _user_for(uidb64)
    if user is None or not setup_link_tokens.check_token(user, token):
        return _invalid_link(request, site)
    pending = request.session.get(SESSION_KEY)
    if not (pending and pending["user"] == user.pk and pending["token"] == token):
        # A new secret for each session that opens the link: none is ever shown twice.
        request.session[SESSION_KEY] = {
            "user": user.pk,
            "token": token,
            "secret": new_totp_secret(),
        }
    return redirect("admin:staff_setup")


@sensitive_post_parameters("new_password1", "new_password2", "otp_token")
def setup_view(request, *, site):
    pending = request.session.get(SESSION_KEY)
    user = _user_for_pending(pending)
    if user is None:
        return _invalid_link(request, site)
    form = StaffSetupForm(user, request.POST or None, secret=pending["secret"])
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Two tabs finishing at once: the second finds the link used.
            user = get_user_model().objects.select_for_update().get(pk=user.pk)
            if not setup_link_tokens.check_token(user, pending["token"]):
                return _invalid_link(request, site)
            form.user = user
            form.save()
            device = enrol_device(
                user=user,
                secret=pending["secret"],
                time_step=form.time_step,
                address=client_ip(request),
            )
        del request.session[SESSION_KEY]
        user.otp_device = device  # django-otp marks the session verified at login
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            "Your account is set up. From now on, sign in with your username, your password "
            "and the code from your app.",
        )
        return redirect("admin:index")
    context = {
        **site.each_context(request),
        "title": "Set up your staff account",
        "form": form,
        "staff_member": user,
        "qr_code": qr_code_data_uri(
            totp_config_url(user=user, secret=pending["secret"])
        ),
        "secret": grouped_secret(pending["secret"]),
        "signed_in_as_someone_else": request.user.is_authenticated
        and request.user.pk != user.pk,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/staff_setup.html", context)


def _user_for_pending(pending):
    if not pending:
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not setup_link_tokens.check_token(user, pending["token"]):
        return None
    return user


def setup_urls(site):
    """The two pages, outside the admin's sign-in requirement (they are how one gets in)."""

    def link(request, uidb64, token):
        return setup_link_view(request, uidb64, token, site=site)

    def page(request):
        return setup_view(request, site=site)

    protect = [never_cache, csrf_protect]
    for decorator in protect:
        link, page = decorator(link), decorator(page)
    return [
        path("set-up/<str:uidb64>/<str:token>/", link, name="staff_setup_link"),
        path("set-up/", page, name="staff_setup"),
    ]
