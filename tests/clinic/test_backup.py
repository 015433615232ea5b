"""Backups and restores against the real PostgreSQL and a real restic repository in tmp_path.

The data must be committed for pg_dump (another process) to see it, hence transaction=True.
Each test runs restic a few times (about a second each: the passphrase's key derivation).
"""

import io
import json
import subprocess
import uuid

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg2 import sql

from appointments.models import RequestStatus, VisitSource
from clinic.models import BackupRun
from tests.factories import (
    make_appointment_request,
    make_article,
    make_contact_message,
    make_patient,
    make_reference,
    make_topic,
    make_visit,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "correct horse battery staple, for tests only"


@pytest.fixture
def repository(tmp_path, settings):
    """A restic repository (not created yet) in tmp_path, its passphrase in a file."""
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    settings.RESTIC_REPOSITORY = str(tmp_path / "repository")
    settings.RESTIC_PASSWORD_FILE = str(passphrase)
    settings.RESTIC_PASSWORD = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "repository"


@pytest.fixture
def new_database_name():
    """A database name nobody uses; whatever a test creates under it is dropped afterwards."""
    names = []

    def name(suffix="r"):
        names.append(
            f"{connection.settings_dict['NAME']}_{suffix}{uuid.uuid4().hex[:6]}"
        )
        return names[-1]

    yield name
    with server_connection("postgres") as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE ANY(%s)",
            [[f"{name}%" for name in names]],
        )
        for (found,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(found))
            )


class server_connection:
    """A cursor on another database of the test server (autocommit)."""

    def __init__(self, dbname):
        settings_dict = connection.settings_dict
        self.connection = psycopg2.connect(
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
            password=settings_dict["PASSWORD"] or None,
            dbname=dbname,
        )
        self.connection.autocommit = True

    def __enter__(self):
        return self.connection.cursor()

    def __exit__(self, *exc):
        self.connection.close()


def table_checksums(dbname):
    """{table: (rows, md5 of every row's text in primary-key order)} of a database's tables.

    Written apart from the code under test (which hashes rows in another way), so that a
    restore is checked by something other than itself.
    """
    with server_connection(dbname) as cursor:
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        checksums = {}
        for table in tables:
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
                [table],
            )
            key = [sql.Identifier("t", row[0]) for row in cursor.fetchall()]
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(string_agg(t::text, E'\\n' ORDER BY {})) FROM {} t"
                ).format(
                    sql.SQL(", ").join(key or [sql.SQL("t::text")]),
                    sql.Identifier(table),
                )
            )
            checksums[table] = cursor.fetchone()
    return checksums


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def restic(repository, *args):
    """restic itself, as an owner would run it by hand."""
    return subprocess.run(
        ["restic", "-r", str(repository), *args],
        env={
            "RESTIC_PASSWORD": PASSPHRASE,
            "PATH": "/usr/bin:/bin",
            "HOME": str(repository.parent),
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def snapshot_ids(repository):
    """The short ids (as the backup records them) of the repository's snapshots."""
    return [
        snapshot["short_id"]
        for snapshot in json.loads(restic(repository, "snapshots", "--json"))
    ]


def make_incompressible_articles(count=60):
    """Articles whose text no compressor can shrink: ~500 KB together."""
    import base64
    import os

    for _ in range(count):
        make_article(body=f"<p>{base64.b64encode(os.urandom(6000)).decode()}</p>")


def rows_line(output, label):
    """The count the restore printed for a table, e.g. rows_line(out, "visits") -> 1."""
    for line in output.splitlines():
        if line.strip().rsplit(None, 1)[0] == label:
            return int(line.split()[-1].replace(",", ""))
    raise AssertionError(f"no row count for {label!r} in:\n{output}")


def test_restore_into_a_new_database_brings_back_every_row_and_upload(
    repository, practice, new_database_name, tmp_path
):
    make_appointment_request(name="Ann Able", phone="+16175550101")
    make_appointment_request(
        name="Bob Baker", phone="+16175550102", status=RequestStatus.CONTACTED
    )
    make_visit()  # with its own scheduled request, its patient and a practitioner
    make_visit(
        patient=make_patient(name="Carl Cole", phone="+16175550103"),
        source=VisitSource.PHONE,
    )
    make_contact_message()
    article = make_article(
        title="Numb feet", topics=[make_topic()], image_alt="A foot with nerve paths"
    )
    make_reference(article)
    article.image.save("numb-feet.png", ContentFile(b"\x89PNG not really an image"))
    live = connection.settings_dict["NAME"]
    before = table_checksums(live)

    backup_output = run("backup", "--init")
    restored = new_database_name()
    restore_output = run(
        "restore", "--into", restored, "--media-into", str(tmp_path / "restored-media")
    )

    # Every row is back, the backup's own run record aside (written after the dump).
    assert table_checksums(restored) == before
    # Nothing live was touched: the live database only gained the record of this run.
    after = table_checksums(live)
    assert {t: v for t, v in after.items() if t != "clinic_backuprun"} == {
        t: v for t, v in before.items() if t != "clinic_backuprun"
    }
    [run_record] = BackupRun.objects.all()
    assert (run_record.status, run_record.error) == (BackupRun.Status.SUCCEEDED, "")
    assert snapshot_ids(repository) == [run_record.snapshot_id[:8]]
    assert run_record.size_bytes > 0
    assert f"Backup saved as snapshot {run_record.snapshot_id[:8]}" in backup_output
    assert (
        tmp_path / "restored-media" / "education" / "numb-feet.png"
    ).read_bytes() == b"\x89PNG not really an image"
    assert [
        rows_line(restore_output, label)
        for label in (
            "appointment requests",
            "patients",
            "visits",
            "contact messages",
            "articles",
        )
    ] == [3, 4, 2, 1, 1]
    assert f"Restored snapshot {run_record.snapshot_id[:8]}" in restore_output
    assert "tables have the rows and checksums the backup recorded" in restore_output
    assert "Migrations: the database is up to date with this code." in restore_output
    assert "Uploaded files: 1 (24 bytes) restored into" in restore_output


def test_a_backup_of_an_empty_new_site_works_and_restores(
    repository, new_database_name
):
    output = run("backup", "--init")

    [run_record] = BackupRun.objects.all()
    assert run_record.status == BackupRun.Status.SUCCEEDED
    assert "0 uploaded files" in output
    restore_output = run("restore", "--into", new_database_name())
    assert rows_line(restore_output, "appointment requests") == 0
    assert "Uploaded files: none in this backup." in restore_output


def test_retention_policy_removes_the_snapshots_it_does_not_keep(repository, settings):
    # Only the latest snapshot of the latest day, however close to midnight the test runs.
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY = 1, 0
    settings.BACKUP_KEEP_MONTHLY = 0
    run("backup", "--init")

    output = run("backup")

    assert "Retention: 1 snapshot kept, 1 removed" in output
    assert snapshot_ids(repository) == [BackupRun.objects.first().snapshot_id[:8]]


def test_force_replaces_a_database_with_tables_and_keeps_the_old_one_beside_it(
    repository, practice, new_database_name
):
    make_appointment_request()
    run("backup", "--init")
    target = new_database_name()
    with server_connection("postgres") as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    with server_connection(target) as cursor:
        cursor.execute("CREATE TABLE notes (body text)")
        cursor.execute("INSERT INTO notes VALUES ('written before the restore')")

    with pytest.raises(CommandError, match="already has tables"):
        run("restore", "--into", target)
    output = run("restore", "--into", target, "--force")

    assert rows_line(output, "appointment requests") == 1
    [kept] = [
        line.split("“")[1].split("”")[0]
        for line in output.splitlines()
        if "The database it replaced is kept as" in line
    ]
    with server_connection(kept) as cursor:
        cursor.execute("SELECT body FROM notes")
        assert cursor.fetchall() == [("written before the restore",)]
    restored = table_checksums(target)
    assert "notes" not in restored
    assert restored["appointments_appointmentrequest"][0] == 1


def test_restore_refuses_the_live_database_without_force(repository):
    with pytest.raises(CommandError, match="is the site's live database"):
        run("restore", "--into", connection.settings_dict["NAME"])


def test_wrong_passphrase_fails_clearly_and_is_recorded(repository, tmp_path):
    restic(repository, "init")
    (tmp_path / "passphrase").write_text("not the passphrase")

    with pytest.raises(CommandError) as backup_error:
        run("backup")
    with pytest.raises(CommandError) as restore_error:
        run("restore", "--into", "anything")

    message = (
        f"The backup passphrase does not open the repository at {repository}: check "
        "RESTIC_PASSWORD_FILE or RESTIC_PASSWORD (it must be the passphrase the "
        "repository was created with)."
    )
    assert (str(backup_error.value), str(restore_error.value)) == (message, message)
    assert [(r.status, r.error) for r in BackupRun.objects.all()] == [
        (BackupRun.Status.FAILED, message)
    ]


def test_missing_repository_fails_clearly_and_is_not_created(repository):
    with pytest.raises(CommandError) as error:
        run("backup")

    assert str(error.value) == (
        f"There is no backup repository at {repository}. Check RESTIC_REPOSITORY; to "
        "create a new repository there, run `manage.py backup --init` once."
    )
    assert not repository.exists()
    assert BackupRun.objects.get().status == BackupRun.Status.FAILED


def test_unreachable_repository_fails_clearly(repository, settings):
    from tests.support.processes import free_port

    settings.RESTIC_REPOSITORY = f"rest:http://127.0.0.1:{free_port()}/"

    with pytest.raises(CommandError, match="cannot be reached") as error:
        run("backup")

    assert "Check the address, the network" in str(error.value)


def test_no_passphrase_is_refused_before_anything_runs(repository, settings):
    settings.RESTIC_PASSWORD_FILE = ""

    with pytest.raises(CommandError, match="No backup passphrase is set"):
        run("backup", "--init")

    assert not repository.exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB filesystem (tmpfs), for running out of space; needs root to mount."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_for_the_dump_fails_clearly_and_uploads_nothing(
    repository, practice, settings, small_disk
):
    restic(repository, "init")
    make_incompressible_articles()
    settings.BACKUP_STAGING_DIR = str(small_disk)

    with pytest.raises(CommandError, match="is full") as error:
        run("backup")

    assert str(error.value).startswith(
        "The disk holding the database dump (" + str(small_disk)
    )
    assert snapshot_ids(repository) == []
    assert BackupRun.objects.get().status == BackupRun.Status.FAILED


def test_a_full_repository_disk_fails_clearly_and_keeps_no_snapshot(
    repository, practice, settings, small_disk
):
    settings.RESTIC_REPOSITORY = str(small_disk / "repository")
    restic(small_disk / "repository", "init")
    make_incompressible_articles()

    with pytest.raises(CommandError, match="The backup repository's disk is full"):
        run("backup")

    assert BackupRun.objects.get().status == BackupRun.Status.FAILED
    assert snapshot_ids(small_disk / "repository") == []


def test_migration_check_names_what_the_restored_database_and_the_code_lack():
    from django.db.migrations.loader import MigrationLoader

    from clinic.backups.jobs import migration_status

    on_disk = sorted(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    newest_clinic = max(key for key in on_disk if key[0] == "clinic")
    from_a_newer_site = ("clinic", "9999_from_a_newer_site")
    older_backup = [key for key in on_disk if key != newest_clinic]

    assert migration_status(on_disk) == ([], [])
    assert migration_status([*older_backup, from_a_newer_site]) == (
        [newest_clinic],
        [from_a_newer_site],
    )
