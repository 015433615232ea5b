import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.staff_accounts import (
    ENROLMENT_DEVICE_NAME,
    announce_enrolment,
    grouped_secret,
)


class Command(BaseCommand):
    help = (
        "Give a staff user an authenticator-app device for two-factor sign-in and print its QR "
        "code. Meant for the first superuser, on the server; everyone else gets a set-up link "
        "from an owner (Users, Add staff member)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the user's existing devices first (a lost or new phone).",
        )

    @transaction.atomic
    def handle(self, *args, username, replace, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        existing = TOTPDevice.objects.filter(user=user)
        if existing.filter(confirmed=True).exists() and not replace:
            raise CommandError(
                f"{username} already has an authenticator device. Use --replace to start over."
            )
        existing.delete()
        device = TOTPDevice.objects.create(
            user=user, name=ENROLMENT_DEVICE_NAME, confirmed=True
        )
        announce_enrolment(user=user)
        code = qrcode.QRCode(border=2)
        code.add_data(device.config_url)
        text = io.StringIO()
        code.print_ascii(out=text, invert=True)
        self.stdout.write(text.getvalue())
        self.stdout.write(
            f"Scan this with an authenticator app, or enter the key {grouped_secret(device.key)}"
        )
        self.stdout.write(f"otpauth URI: {device.config_url}")
        self.stdout.write(
            self.style.SUCCESS(f"Two-factor device created for {username}.")
        )
