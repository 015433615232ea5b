"""PostgreSQL's side: a dump taken in one snapshot and read back in full; restores by name.

pg_dump, pg_restore and the connections use the credentials of the site's database; the
password reaches the tools through the environment, never a command line.
"""

import contextlib
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql

from .errors import BackupError
from .progress import Progress, human_size

# libpq's environment variable for each connection option the site's settings may carry.
LIBPQ_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
DISK_FULL = "No space left on device"

# Every table a dump holds: ordinary tables outside the system schemas that no extension owns.
TABLES_SQL = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY 1, 2
"""
# A row's text depends on these session settings; fix them so that both sides of a comparison
# (the live database at backup time, the restored one) spell every row the same way.
STABLE_TEXT_SQL = (
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
    "SET extra_float_digits = 1; SET bytea_output = 'hex'"
)


@dataclass(frozen=True)
class Server:
    """The PostgreSQL server (and role) of the site's database."""

    host: str = ""
    port: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    options: dict = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings_dict):
        return cls(
            host=settings_dict.get("HOST") or "",
            port=str(settings_dict.get("PORT") or ""),
            user=settings_dict.get("USER") or "",
            password=settings_dict.get("PASSWORD") or "",
            options={
                name: value
                for name, value in (settings_dict.get("OPTIONS") or {}).items()
                if name in LIBPQ_ENV
            },
        )

    @property
    def address(self):
        return (
            f"{self.host or 'the local socket'}{':' + self.port if self.port else ''}"
        )

    def tool_env(self, dbname=None):
        env = dict(os.environ)
        values = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": dbname,
            **{LIBPQ_ENV[name]: str(value) for name, value in self.options.items()},
        }
        env.update({name: value for name, value in values.items() if value})
        return env

    def connect(self, dbname):
        try:
            connection = psycopg2.connect(
                host=self.host or None,
                port=self.port or None,
                user=self.user or None,
                password=self.password or None,
                dbname=dbname,
                **self.options,
            )
        except psycopg2.OperationalError as error:
            reason = str(error).strip().splitlines()[-1]
            raise BackupError(
                f"Cannot connect to database “{dbname}” on PostgreSQL at {self.address}: {reason}"
            ) from error
        connection.autocommit = True
        return connection

    @contextlib.contextmanager
    def maintenance(self):
        """A connection outside the databases being created, renamed or dropped."""
        try:
            connection = self.connect("postgres")
        except BackupError:
            connection = self.connect("template1")
        try:
            yield connection.cursor()
        finally:
            connection.close()


def tool_major(tool):
    """The major version of a PostgreSQL client tool (15 for pg_dump 15.20)."""
    try:
        output = subprocess.run(
            [tool, "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)."
        ) from error
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    return int(re.search(r"\)\s*(\d+)", output).group(1))


def check_dump_tools(server_major):
    dump_major = tool_major("pg_dump")
    restore_major = tool_major("pg_restore")
    if dump_major < server_major:
        # pg_dump refuses newer servers; say which package would fix it.
        raise BackupError(
            f"pg_dump {dump_major} cannot back up PostgreSQL {server_major}: install the "
            f"client tools of version {server_major} or later (postgresql-client-{server_major})."
        )
    return dump_major, restore_major


# ---- what a dump must contain -------------------------------------------------------------


def fingerprints(cursor):
    """{table: [rows, checksum]} for every table, the checksum over all its rows in any order."""
    cursor.execute(STABLE_TEXT_SQL)
    cursor.execute(TABLES_SQL)
    tables = cursor.fetchall()
    result = {}
    for schema, table in tables:
        cursor.execute(
            sql.SQL(
                # The sum of each row's md5 (its first 64 bits): blind to row order, so no
                # sort, and md5 is the same on every server version.
                "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))"
                "::bit(64)::bigint), 0)::text FROM {} AS t"
            ).format(sql.Identifier(schema, table))
        )
        count, checksum = cursor.fetchone()
        result[table if schema == "public" else f"{schema}.{table}"] = [
            count,
            checksum,
        ]
    return result


def applied_migrations(cursor):
    cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return []
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    return [list(row) for row in cursor.fetchall()]


@dataclass
class Frozen:
    """The database as of one moment: the snapshot pg_dump shares, and what it holds."""

    snapshot: str
    server_major: int
    tables: dict
    migrations: list


@contextlib.contextmanager
def frozen(server, dbname):
    """A read-only transaction whose snapshot pg_dump joins, so its figures are the dump's."""
    connection = server.connect(dbname)
    connection.autocommit = False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            yield Frozen(
                snapshot=snapshot,
                server_major=connection.server_version // 10000,
                tables=fingerprints(cursor),
                migrations=applied_migrations(cursor),
            )
    finally:
        connection.rollback()
        connection.close()


# ---- running the tools --------------------------------------------------------------------


def _run_tool(args, env, *, on_line, progress):
    """Run a PostgreSQL tool, feeding its stderr lines to `on_line`; (returncode, stderr lines)."""
    process = subprocess.Popen(
        args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    lines = []

    def read():
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            on_line(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while process.poll() is None:
        progress()
        time.sleep(0.2)
    reader.join()
    return process.returncode, lines


def _failure(lines):
    """The tool's own error lines, without its verbose chatter."""
    errors = [
        line
        for line in lines
        if re.search(r"error|fatal|detail|hint|could not", line, re.IGNORECASE)
    ]
    return " ".join(errors[-4:] or lines[-2:]) or "no message"


def dump(server, dbname, *, snapshot, path: Path, table_count, write):
    """pg_dump in custom format into `path`, inside the exported snapshot."""
    done = []
    progress = Progress(write)
    code, lines = _run_tool(
        [
            "pg_dump",
            "--format=custom",
            # Uncompressed: restic compresses, and it can deduplicate a table that did not
            # change since yesterday only if pg_dump has not compressed it into new bytes.
            "--compress=0",
            "--verbose",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--file={path}",
        ],
        server.tool_env(dbname),
        on_line=lambda line: "dumping contents of table" in line and done.append(1),
        progress=lambda: progress.update(
            lambda: (
                f"  database dump: table {len(done)} of {table_count}, "
                f"{human_size(path.stat().st_size if path.exists() else 0)} written"
            )
        ),
    )
    if code:
        text = " ".join(lines)
        if DISK_FULL in text:
            raise BackupError(
                f"The disk holding the database dump ({path.parent}) is full: free some space "
                "or point BACKUP_STAGING_DIR at a disk with room for the database dump."
            )
        raise BackupError(f"pg_dump failed: {_failure(lines)}")


def verify_dump(path: Path):
    """Read the whole archive back, data included; the number of tables whose data it holds."""
    listing = subprocess.run(
        ["pg_restore", "--list", str(path)], capture_output=True, text=True
    )
    if listing.returncode:
        raise BackupError(
            f"The database dump cannot be read back: {listing.stderr.strip()}"
        )
    read_back = subprocess.run(
        ["pg_restore", "--file=/dev/null", str(path)], capture_output=True, text=True
    )
    if read_back.returncode:
        raise BackupError(
            f"The database dump is damaged: {_failure(read_back.stderr.splitlines())}"
        )
    return sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)


def archive_version(path: Path):
    """The pg_dump major version that wrote the archive, from its header."""
    listing = subprocess.run(
        ["pg_restore", "--list", str(path)], capture_output=True, text=True
    )
    if listing.returncode:
        raise BackupError(
            "This pg_restore cannot read the backup's database dump "
            f"({listing.stderr.strip()}); install newer PostgreSQL client tools."
        )
    match = re.search(r"Dumped by pg_dump version: (\d+)", listing.stdout)
    return int(match.group(1)) if match else None


def conninfo_dbname(name):
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{escaped}'"


def restore(server, dbname, path: Path, *, table_count, write):
    """pg_restore into an existing database, in one transaction: all of it or nothing."""
    done = []
    progress = Progress(write)
    code, lines = _run_tool(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--verbose",
            "--no-password",
            f"--dbname={conninfo_dbname(dbname)}",
            str(path),
        ],
        server.tool_env(),
        on_line=lambda line: "processing data for table" in line and done.append(1),
        progress=lambda: progress.update(
            lambda: f"  database restore: table {len(done)} of {table_count}"
        ),
    )
    if code:
        text = " ".join(lines)
        if DISK_FULL in text or "could not extend file" in text:
            raise BackupError(
                f"The database server's disk is full: the restore into “{dbname}” was rolled back."
            )
        raise BackupError(f"pg_restore failed: {_failure(lines)}")


def inspect(server, dbname):
    """(fingerprints, applied migrations) of a database, read the same way as at backup time."""
    connection = server.connect(dbname)
    try:
        with connection.cursor() as cursor:
            return fingerprints(cursor), applied_migrations(cursor)
    finally:
        connection.close()


# ---- databases ----------------------------------------------------------------------------


def database_state(server, name):
    """ "missing", "empty" (no tables) or "in use"."""
    with server.maintenance() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            return "missing"
    connection = server.connect(name)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS ({TABLES_SQL})")
            return "in use" if cursor.fetchone()[0] else "empty"
    finally:
        connection.close()


def create_database(server, name):
    with server.maintenance() as cursor:
        try:
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(name)
                )
            )
        except psycopg2.Error as error:
            raise BackupError(
                f"Cannot create database “{name}”: {str(error).strip()} (the role needs the "
                "CREATEDB privilege, or create the empty database first)."
            ) from error


def drop_database(server, name):
    with server.maintenance() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def replace_database(server, *, old, new, keep_as):
    """Put `new` in the place of `old`, which is kept (renamed to `keep_as`), not dropped."""
    with server.maintenance() as cursor:
        old_name, new_name, kept = map(sql.Identifier, (old, new, keep_as))
        # No new sessions, then end the current ones: a rename needs the database to itself.
        cursor.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(old_name)
        )
        try:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [old],
            )
            cursor.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(old_name, kept)
            )
        except psycopg2.Error as error:
            cursor.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                    old_name
                )
            )
            raise BackupError(
                f"Cannot set database “{old}” aside: {str(error).strip()}"
            ) from error
        cursor.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(kept)
        )
        cursor.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(new_name, old_name)
        )
