from django.core.management.base import BaseCommand

from appointments.tasks import deliver_due, schedule_sweep


class Command(BaseCommand):
    help = (
        "Deliver every notification that is due now and make sure the worker's periodic "
        "sweep is scheduled. Safe to run at any time (e.g. on deploy or from cron)."
    )

    def handle(self, *args, **options):
        schedule_sweep()
        sent = deliver_due(limit=10_000)
        self.stdout.write(f"Sent {sent} notification(s).")
