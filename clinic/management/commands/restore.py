from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clinic.backups.errors import BackupError
from clinic.backups.jobs import list_snapshots, restore_backup
from clinic.backups.progress import human_size


class Command(BaseCommand):
    help = (
        "Restore a backup (the latest, or --snapshot ID) into the database named by --into, "
        "on the site's PostgreSQL server, and check it: every table's rows and checksum "
        "against the backup's manifest, the migrations against this code, the uploaded "
        "files. The live database, or any with tables, is replaced only with --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--into",
            metavar="DBNAME",
            help="The database to restore into; created if it does not exist.",
        )
        parser.add_argument(
            "--snapshot",
            metavar="ID",
            help="The snapshot to restore (its id or the start of it; see --list). Default: the latest.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the live database or another one with tables; the replaced one is kept under a new name.",
        )
        parser.add_argument(
            "--media-into",
            metavar="DIR",
            type=Path,
            help="Copy the uploaded files here. Default: MEDIA_ROOT when restoring the live database; otherwise they are only checked.",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_only",
            help="List this site's snapshots and stop.",
        )

    def handle(self, *args, into, snapshot, force, media_into, list_only, **options):
        try:
            if list_only:
                return self.list_snapshots()
            if not into:
                raise CommandError(
                    "Name the database to restore into: --into DBNAME (a new name checks a "
                    "backup without touching the site)."
                )
            result = restore_backup(
                into=into,
                snapshot_id=snapshot,
                force=force,
                media_into=media_into,
                write=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.report(result)

    def list_snapshots(self):
        snapshots = list_snapshots()
        if not snapshots:
            self.stdout.write("The repository holds no backup of this site yet.")
        for snapshot in snapshots:
            self.stdout.write(
                f"{snapshot['short_id']}  {timezone.localtime(snapshot['time']):%Y-%m-%d %H:%M %Z}  "
                f"from {snapshot.get('hostname', '?')}"
            )

    def report(self, result):
        write = self.stdout.write
        write(
            self.style.SUCCESS(
                f"Restored snapshot {result.snapshot['short_id']}, taken "
                f"{timezone.localtime(result.taken_at):%Y-%m-%d %H:%M %Z}, into database "
                f"“{result.database}” in {result.seconds:.0f} s. All {len(result.tables)} "
                "tables have the rows and checksums the backup recorded."
            )
        )
        width = max((len(label) for label, _ in result.rows_by_model), default=0)
        write("Rows per table:")
        for label, rows in result.rows_by_model:
            write(f"  {label:<{width}}  {rows:>9,}")
        if result.unknown_migrations:
            write(
                self.style.WARNING(
                    f"The database has {len(result.unknown_migrations)} migration(s) this code "
                    "does not have (it was made by a newer version of the site): "
                    + ", ".join(
                        f"{app}.{name}" for app, name in result.unknown_migrations
                    )
                )
            )
        if result.pending_migrations:
            write(
                self.style.WARNING(
                    f"{len(result.pending_migrations)} migration(s) of this code are not applied "
                    f"in “{result.database}” yet (the backup is older than the code): run "
                    "`manage.py migrate` against it before the site uses it."
                )
            )
        elif not result.unknown_migrations:
            write("Migrations: the database is up to date with this code.")
        if result.manifest["media"]["path"] is None:
            write("Uploaded files: none in this backup.")
        elif result.media_into:
            write(
                f"Uploaded files: {result.media_files} ({human_size(result.media_bytes)}) "
                f"restored into {result.media_into}."
            )
        else:
            write(
                f"Uploaded files: {result.media_files} ({human_size(result.media_bytes)}) "
                "restored and checked, not kept (--media-into DIR keeps them)."
            )
        if result.kept_as:
            write(
                f"The database it replaced is kept as “{result.kept_as}”; drop it once the "
                f'restored one is right: DROP DATABASE "{result.kept_as}";'
            )
