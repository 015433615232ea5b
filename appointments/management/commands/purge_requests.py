import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appointments.services.retention import purge_expired
from clinic.models import Practice
from education.services import FEEDBACK_COMMENT_KEEP_DAYS, purge_feedback_comments


def _listing(counts):
    return ", ".join(
        f"{count} {name}" for name, count in sorted(counts.items()) if count
    )


class Command(BaseCommand):
    help = (
        "Delete appointment requests and contact messages nothing has happened to for more "
        "than DAYS days, as the privacy notice promises: closed requests counted from their "
        "last status change, requests left open (new, contacted, scheduled) from their last "
        "edit, status change or visit, messages from their last change. Their notifications, "
        "visits, status history, the patient records left with nothing, and the admin log "
        "entries and task results naming them go too; so do expired sessions, sign-in "
        "records and finished task results older than DAYS. Without --older-than, uses the "
        "practice's “keep requests and messages for (days)”; when that is empty too, nothing "
        "is deleted. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, metavar="DAYS", dest="days")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say how much would be deleted.",
        )

    def handle(self, *args, days, dry_run, **options):
        # Readers' notes on articles have their own period, whatever the practice sets: the
        # privacy notice says they are erased after it.
        notes = purge_feedback_comments(dry_run=dry_run)
        if notes:
            self.stdout.write(
                f"{'Would erase' if dry_run else 'Erased'} {notes} reader note(s) older than "
                f"{FEEDBACK_COMMENT_KEEP_DAYS} days (the yes/no answers are kept)."
            )
        if days is None:
            practice = Practice.get_current()
            days = practice.request_retention_days if practice else None
            if days is None:
                self.stdout.write(
                    "No retention period: pass --older-than DAYS or set “keep requests and "
                    "messages for (days)” in the practice information. Nothing deleted."
                )
                return
        if days < 1:
            raise CommandError("--older-than must be at least 1 day.")
        cutoff = timezone.now() - datetime.timedelta(days=days)
        report = purge_expired(cutoff=cutoff, dry_run=dry_run)
        summary = (
            f"last worked on before {timezone.localtime(cutoff):%Y-%m-%d %H:%M}: "
            f"{_listing(report.deleted) or 'nothing'}"
        )
        traces = _listing(report.forgotten)
        if traces:
            summary += f"; and {traces}"
        if dry_run:
            self.stdout.write(f"Dry run: would delete what was {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted what was {summary}."))
