"""Users in the admin, for owners (superusers): "Add staff member" and new set-up links.

Adding a staff member is one page (name, email, role) that creates the account and shows the
set-up link, emailing it too if asked. On a staff member's page, "New set-up link" is the answer
to a lost phone or a forgotten password: it ends the old password and app and gives a new link.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice

from .staff_accounts import (
    ROLE_HELP,
    Role,
    add_staff_member,
    display_name,
    email_setup_link,
    issue_setup_link,
    link_hours,
)

User = get_user_model()
SHOWN_LINK_SESSION_KEY = "clinic:setup_link_to_show"


class RoleSelect(forms.RadioSelect):
    """Radio buttons whose labels say what each role may do."""

    def create_option(self, name, value, label, *args, **kwargs):
        if value:
            label = format_html(
                "{} <span class='role-help'>({})</span>", label, ROLE_HELP[value]
            )
        return super().create_option(name, value, label, *args, **kwargs)


class StaffMemberForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=150,
        help_text="First and last name, e.g. Robin Lee.",
    )
    email = forms.EmailField(
        label="Email address",
        help_text="Their own work email. It is also their username, and the set-up link can go there.",
    )
    role = forms.ChoiceField(choices=Role.choices, widget=RoleSelect)
    send_email = forms.BooleanField(
        label="Email the set-up link to this address now",
        required=False,
        initial=True,
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(username__iexact=email).exists() or (
            User.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError(
                "There is already a staff account with this email address. Open it under "
                "Users and use “New set-up link” instead.",
                code="taken",
            )
        return email


class NewSetupLinkForm(forms.Form):
    send_email = forms.BooleanField(
        label="Email the new link to their address", required=False, initial=True
    )


@admin.display(boolean=True, description="App set up")
def has_authenticator(user):
    return user.has_authenticator


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    change_form_template = "admin/auth/user/staff_change_form.html"
    list_display = [
        "username",
        "first_name",
        "last_name",
        "is_staff",
        "is_superuser",
        has_authenticator,
        "last_login",
    ]

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return (
            super().get_queryset(request).annotate(has_authenticator=Exists(confirmed))
        )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<id>/set-up-link/",
                self.admin_site.admin_view(self.new_setup_link_view),
                name=f"{prefix}_setup_link",
            ),
            path(
                "<id>/set-up-link/issued/",
                self.admin_site.admin_view(self.issued_setup_link_view),
                name=f"{prefix}_setup_link_issued",
            ),
            *super().get_urls(),
        ]

    def _render(self, request, template, context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def _issue(self, request, staff_member, *, send_email):
        link = issue_setup_link(user=staff_member, request=request)
        emailed = send_email and email_setup_link(user=staff_member, link=link)
        if send_email and not emailed:
            messages.error(
                request,
                "The email could not be sent. Copy the link below and give it to them another way.",
            )
        # Shown once, on the next page (Post/Redirect/Get): never in a URL or a message.
        request.session[SHOWN_LINK_SESSION_KEY] = {
            "user": staff_member.pk,
            "link": link,
            "emailed": bool(emailed),
        }
        return redirect("admin:auth_user_setup_link_issued", staff_member.pk)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffMemberForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            staff_member = add_staff_member(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
            self.log_addition(request, staff_member, [{"added": {}}])
            return self._issue(
                request, staff_member, send_email=form.cleaned_data["send_email"]
            )
        return self._render(
            request,
            "admin/auth/user/add_staff_member.html",
            {"title": "Add staff member", "form": form, "link_hours": link_hours()},
        )

    def new_setup_link_view(self, request, id):
        if not request.user.is_superuser:
            raise PermissionDenied
        staff_member = get_object_or_404(User, pk=id)
        form = NewSetupLinkForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self.log_change(
                request,
                staff_member,
                "Issued a new set-up link (password and app reset).",
            )
            return self._issue(
                request, staff_member, send_email=form.cleaned_data["send_email"]
            )
        return self._render(
            request,
            "admin/auth/user/new_setup_link.html",
            {
                "title": f"New set-up link for {display_name(staff_member)}",
                "form": form,
                "original": staff_member,
                "link_hours": link_hours(),
            },
        )

    def issued_setup_link_view(self, request, id):
        if not request.user.is_superuser:
            raise PermissionDenied
        staff_member = get_object_or_404(User, pk=id)
        shown = request.session.get(SHOWN_LINK_SESSION_KEY)
        if shown and shown["user"] == staff_member.pk:
            del request.session[SHOWN_LINK_SESSION_KEY]
        else:
            shown = None
        return self._render(
            request,
            "admin/auth/user/setup_link_issued.html",
            {
                "title": f"Set-up link for {display_name(staff_member)}",
                "original": staff_member,
                "shown": shown,
                "link_hours": link_hours(),
                "change_url": reverse("admin:auth_user_change", args=[staff_member.pk]),
            },
        )
