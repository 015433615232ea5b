from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from clinic.backups.errors import BackupError
from clinic.backups.jobs import run_backup
from clinic.backups.progress import human_size


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files into the encrypted restic repository "
        "(RESTIC_REPOSITORY with RESTIC_PASSWORD_FILE or RESTIC_PASSWORD), then remove the "
        "snapshots the retention policy no longer keeps. Every run is recorded for the admin "
        "home's backup warning."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--init",
            action="store_true",
            help="Create a new repository first (once; it refuses an existing one).",
        )

    def handle(self, *args, init, **options):
        try:
            result = run_backup(init=init, write=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        seconds = f", {result.run.duration.total_seconds():.0f} s" if result.run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup saved as snapshot {result.snapshot_id[:8]}: database dump "
                f"{human_size(result.database_bytes)}, {result.media_files} uploaded "
                f"file{pluralize(result.media_files)} ({human_size(result.media_bytes)}); {human_size(result.added_bytes)} new in "
                f"the repository{seconds}."
            )
        )
        self.stdout.write(
            f"Retention: {result.kept} snapshot{pluralize(result.kept)} kept, {result.removed} removed (policy: "
            f"{settings.BACKUP_KEEP_DAILY} daily, {settings.BACKUP_KEEP_WEEKLY} weekly, "
            f"{settings.BACKUP_KEEP_MONTHLY} monthly)."
        )
