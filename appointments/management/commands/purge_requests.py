import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from appointments.models import (
    AppointmentRequest,
    ContactMessage,
    MessageStatus,
    Notification,
)
from clinic.models import Practice


class Command(BaseCommand):
    help = (
        "Delete closed appointment requests (completed, declined, cancelled, no-show, spam) "
        "and closed contact messages whose status last changed more than DAYS ago, with "
        "their visits, status history and notification records. Without --older-than, "
        "uses the practice's “keep closed requests for (days)”; when that is empty too, "
        "nothing is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, metavar="DAYS", dest="days")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say how much would be deleted.",
        )

    def handle(self, *args, days, dry_run, **options):
        if days is None:
            practice = Practice.get_current()
            days = practice.request_retention_days if practice else None
            if days is None:
                self.stdout.write(
                    "No retention period: pass --older-than DAYS or set “keep closed "
                    "requests for (days)” in the practice information. Nothing deleted."
                )
                return
        if days < 1:
            raise CommandError("--older-than must be at least 1 day.")
        cutoff = timezone.now() - datetime.timedelta(days=days)
        requests = AppointmentRequest.objects.closed().filter(
            status_changed_at__lt=cutoff
        )
        messages = ContactMessage.objects.filter(
            status__in=[
                MessageStatus.ANSWERED,
                MessageStatus.CLOSED,
                MessageStatus.SPAM,
            ],
            updated_at__lt=cutoff,
        )
        with transaction.atomic():
            counts = (
                requests.count(),
                messages.count(),
                Notification.objects.filter(appointment_request__in=requests).count()
                + Notification.objects.filter(contact_message__in=messages).count(),
            )
            summary = (
                f"{counts[0]} closed request(s), {counts[1]} closed message(s) and "
                f"{counts[2]} notification record(s) closed before "
                f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M}"
            )
            if dry_run:
                self.stdout.write(f"Dry run: would delete {summary}.")
                return
            requests.delete()
            messages.delete()
        self.stdout.write(self.style.SUCCESS(f"Deleted {summary}."))
