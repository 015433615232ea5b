"""A backup run and a restore, step by step (the management commands only word the results)."""

import contextlib
import datetime
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.template.defaultfilters import pluralize
from django.utils import timezone

from ..models import BackupRun
from . import postgres
from .errors import BackupError
from .progress import human_size
from .restic import Repository, parse_time

# The snapshot's layout: the dump and the manifest at its root, the uploads at their own path.
DUMP = "database.dump"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# Database names are at most 63 bytes in PostgreSQL.
NAME_LIMIT = 63


def site_database():
    """(server, name) of the database the site runs on (the test database under pytest)."""
    return (
        postgres.Server.from_settings(connection.settings_dict),
        connection.settings_dict["NAME"],
    )


def media_root():
    return Path(settings.MEDIA_ROOT).resolve()


def count_files(root: Path):
    """(files, bytes) under a folder."""
    files = size = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                files += 1
                size += path.stat().st_size
    return files, size


@contextlib.contextmanager
def staging_directory(prefix):
    """A private temporary folder (mode 0700: the dump holds patient data), removed after."""
    try:
        with tempfile.TemporaryDirectory(
            prefix=prefix, dir=settings.BACKUP_STAGING_DIR or None
        ) as path:
            yield Path(path)
    except OSError as error:
        if error.errno == 28:  # ENOSPC
            raise BackupError(
                f"The disk holding the temporary folder ({error.filename or tempfile.gettempdir()}) "
                "is full: free space or point BACKUP_STAGING_DIR at a larger disk."
            ) from error
        raise BackupError(
            f"Cannot use the temporary folder for the backup: {error}"
        ) from error


# ---- backup -------------------------------------------------------------------------------


@dataclass
class BackupResult:
    snapshot_id: str
    added_bytes: int
    database_bytes: int
    media_files: int
    media_bytes: int
    # The run as recorded (None if the database refused the record).
    run: BackupRun | None = None
    kept: int = 0
    removed: int = 0


def run_backup(*, init=False, write=print) -> BackupResult:
    """Back the site up into the repository, then apply the retention policy; every run,
    good or failed, is recorded as a BackupRun. Raises BackupError when it failed."""
    started_at = timezone.now()
    try:
        result, summary = _back_up(init=init, write=write)
    except Exception as error:
        message = (
            str(error)
            if isinstance(error, BackupError)
            else f"Unexpected error: {type(error).__name__}: {error}"
        )
        _record(
            write,
            started_at=started_at,
            status=BackupRun.Status.FAILED,
            error=message,
        )
        raise
    result.run = _record(
        write,
        started_at=started_at,
        status=BackupRun.Status.SUCCEEDED,
        snapshot_id=summary["snapshot_id"],
        size_bytes=summary.get("total_bytes_processed"),
        added_bytes=summary.get("data_added"),
    )
    try:
        result.kept, result.removed = Repository.from_settings().apply_retention(
            daily=settings.BACKUP_KEEP_DAILY,
            weekly=settings.BACKUP_KEEP_WEEKLY,
            monthly=settings.BACKUP_KEEP_MONTHLY,
        )
    except BackupError as error:
        # The snapshot is good and stays recorded as such; old ones were just not removed.
        message = f"The backup {summary['snapshot_id']} was saved, but old snapshots could not be removed: {error}"
        if result.run is not None:
            result.run.error = message
            result.run.save(update_fields=["error"])
        raise BackupError(message) from error
    return result


def _record(write, **fields):
    try:
        return BackupRun.objects.create(finished_at=timezone.now(), **fields)
    except DatabaseError as error:
        write(f"This run could not be recorded in the database: {error}")
        return None


def _back_up(*, init, write):
    repository = Repository.from_settings()
    repository.check_configured()
    if init:
        write(f"Creating the encrypted repository at {repository.shown_location}")
        repository.init()
    # Fails now, before a long dump, if the repository is missing, unreachable or locked to us.
    earlier = repository.snapshots()
    server, dbname = site_database()
    media = media_root()
    with staging_directory("clinic-backup-") as staging:
        dump_path = staging / DUMP
        write(f"Counting and checksumming the rows of database “{dbname}”")
        with postgres.frozen(server, dbname) as frozen:
            dump_major, _ = postgres.check_dump_tools(frozen.server_major)
            rows = sum(count for count, _ in frozen.tables.values())
            write(
                f"Dumping database “{dbname}” ({len(frozen.tables)} tables, {rows:,} rows)"
            )
            taken_at = timezone.now()
            postgres.dump(
                server,
                dbname,
                snapshot=frozen.snapshot,
                path=dump_path,
                table_count=len(frozen.tables),
                write=write,
            )
        write(f"Reading the dump back ({human_size(dump_path.stat().st_size)})")
        tables_in_dump = postgres.verify_dump(dump_path)
        if tables_in_dump != len(frozen.tables):
            raise BackupError(
                f"The dump holds the data of {tables_in_dump} tables, the database has "
                f"{len(frozen.tables)}: nothing was uploaded."
            )
        media_files, media_bytes = count_files(media) if media.is_dir() else (0, 0)
        manifest = {
            "format": MANIFEST_FORMAT,
            "taken_at": taken_at.isoformat(),
            "database": dbname,
            "server_version": frozen.server_major,
            "pg_dump_version": dump_major,
            "tables": frozen.tables,
            "migrations": frozen.migrations,
            "media": {
                "path": str(media) if media.is_dir() else None,
                "files": media_files,
                "bytes": media_bytes,
            },
        }
        try:
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
        except OSError as error:
            raise BackupError(
                f"Cannot write the manifest in {staging}: {error.strerror}"
            ) from error
        write(
            f"Uploading to {repository.shown_location} (the dump, and {media_files} "
            f"uploaded file{pluralize(media_files)}: {human_size(media_bytes)})"
        )
        summary = repository.backup(
            [DUMP, MANIFEST, *([str(media)] if media.is_dir() else [])],
            cwd=staging,
            parent=earlier[-1]["id"] if earlier else None,
            write=write,
        )
        result = BackupResult(
            snapshot_id=summary["snapshot_id"],
            added_bytes=summary.get("data_added") or 0,
            database_bytes=dump_path.stat().st_size,
            media_files=media_files,
            media_bytes=media_bytes,
        )
    return result, summary


# ---- restore ------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    snapshot: dict
    manifest: dict
    database: str
    # The database that was replaced, kept under this name (None: nothing was replaced).
    kept_as: str | None
    tables: dict
    pending_migrations: list
    unknown_migrations: list
    media_files: int = 0
    media_bytes: int = 0
    # Where the uploads went; None when they were only checked (not the live database).
    media_into: Path | None = None
    seconds: float = 0.0
    rows_by_model: list = field(default_factory=list)

    @property
    def taken_at(self):
        return datetime.datetime.fromisoformat(self.manifest["taken_at"])


def list_snapshots():
    repository = Repository.from_settings()
    repository.check_configured()
    return [
        {**snapshot, "time": parse_time(snapshot["time"])}
        for snapshot in repository.snapshots()
    ]


def restore_backup(
    *, into, snapshot_id=None, force=False, media_into=None, write=print
) -> RestoreResult:
    """Restore a snapshot into the database named `into` and check it against the manifest:
    every table's rows and checksum, the media files. The live database (DATABASE_URL) or one
    with tables is replaced only with `force`, and then kept under another name."""
    started = time.monotonic()
    repository = Repository.from_settings()
    repository.check_configured()
    server, live = site_database()
    if into == live and not force:
        raise BackupError(
            f"“{into}” is the site's live database (DATABASE_URL). Restore into another "
            "name to check a backup, or pass --force to replace the live database (it is "
            "kept under another name, not dropped)."
        )
    state = postgres.database_state(server, into)
    if state == "in use" and not force:
        raise BackupError(
            f"Database “{into}” already has tables. Name a new database, or pass --force to "
            "replace it (the current one is kept under another name, not dropped)."
        )
    kept_as = f"{into}_before_restore_{timezone.localtime():%Y%m%d%H%M%S}"
    if state == "in use" and len(kept_as.encode()) > NAME_LIMIT:
        raise BackupError(
            f"The database name “{into}” is too long to keep the current one beside it as "
            f"“{kept_as}” (PostgreSQL allows {NAME_LIMIT} bytes): rename it first."
        )
    snapshot = repository.find(snapshot_id)
    write(
        f"Restoring snapshot {snapshot['short_id']} of "
        f"{timezone.localtime(parse_time(snapshot['time'])):%Y-%m-%d %H:%M %Z} "
        f"from {repository.shown_location} into database “{into}”"
    )
    with staging_directory("clinic-restore-") as staging:
        write("Fetching the snapshot")
        unpacked = staging / "snapshot"
        repository.restore(snapshot["id"], target=unpacked)
        manifest = _read_manifest(unpacked / MANIFEST, snapshot)
        dump_path = unpacked / DUMP
        postgres.archive_version(dump_path)
        # A database with tables is replaced only once its successor has passed every check.
        target = f"{into}_restoring" if state == "in use" else into
        created = state != "empty"
        if state == "in use":
            postgres.drop_database(
                server, target
            )  # a failed earlier attempt's leftover
        if created:
            postgres.create_database(server, target)
        write(f"Restoring the database ({human_size(dump_path.stat().st_size)})")
        try:
            postgres.restore(
                server,
                target,
                dump_path,
                table_count=len(manifest["tables"]),
                write=write,
            )
            write("Checking every table against the backup's manifest")
            tables, applied = postgres.inspect(server, target)
            _compare_tables(tables, manifest["tables"])
        except BaseException:
            # Interrupted or refused: a database this restore created is not left behind.
            if created:
                postgres.drop_database(server, target)
            raise
        if state == "in use":
            postgres.replace_database(server, old=into, new=target, keep_as=kept_as)
        else:
            kept_as = None
        pending, unknown = migration_status(applied)
        result = RestoreResult(
            snapshot=snapshot,
            manifest=manifest,
            database=into,
            kept_as=kept_as,
            tables=tables,
            pending_migrations=pending,
            unknown_migrations=unknown,
            rows_by_model=[
                (label, tables[table][0])
                for label, table in main_tables()
                if table in tables
            ],
        )
        destination = media_into or (media_root() if into == live else None)
        _restore_media(manifest, unpacked, destination, result)
    result.seconds = time.monotonic() - started
    return result


def _read_manifest(path, snapshot):
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(
            f"Snapshot {snapshot['short_id']} has no readable manifest: it was not made by "
            "`manage.py backup`."
        ) from error
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(
            f"Snapshot {snapshot['short_id']} was made by another version of the backup "
            f"(manifest format {manifest.get('format')})."
        )
    return manifest


def _compare_tables(restored, expected):
    differing = sorted(
        table
        for table in set(restored) | set(expected)
        if restored.get(table) != expected.get(table)
    )
    if differing:
        raise BackupError(
            f"The restored database differs from the backup in {len(differing)} table(s) "
            f"({', '.join(differing[:5])}), so it was not kept."
        )


def _restore_media(manifest, unpacked, destination, result):
    media = manifest["media"]
    if not media["path"]:
        return
    source = unpacked / media["path"].lstrip("/")
    files, size = count_files(source) if source.is_dir() else (0, 0)
    if (files, size) != (media["files"], media["bytes"]):
        raise BackupError(
            f"The snapshot's uploaded files came back as {files} files ({human_size(size)}); "
            f"the backup had {media['files']} ({human_size(media['bytes'])}). The database "
            "was restored; the uploaded files were not copied."
        )
    result.media_files, result.media_bytes = files, size
    if destination is not None and files:
        try:
            shutil.copytree(source, destination, dirs_exist_ok=True)
        except OSError as error:
            raise BackupError(
                f"The uploaded files could not be copied into {destination}: {error}"
            ) from error
        result.media_into = Path(destination)


def migration_status(applied):
    """(migrations of this code not applied in the database, applied ones this code lacks)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {tuple(migration) for migration in applied}
    for key, migration in loader.replacements.items():
        if set(migration.replaces) <= applied:
            applied.add(key)
    pending = sorted(set(loader.graph.nodes) - applied)
    unknown = sorted(applied - set(loader.disk_migrations))
    return pending, unknown


def main_tables():
    """(label, table) of the site's own models and the user accounts, for the restore's summary."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for model in apps.get_models():
        path = Path(model._meta.app_config.path).resolve()
        is_ours = path.is_relative_to(base) and "site-packages" not in path.parts
        # django-simple-history's copies (instance_type) are history, not a main table.
        if (is_ours or model is apps.get_model(settings.AUTH_USER_MODEL)) and not (
            model._meta.auto_created or hasattr(model, "instance_type")
        ):
            found.append((str(model._meta.verbose_name_plural), model._meta.db_table))
    return found
