"""The encrypted repository: restic (from Debian) driven through its command line and JSON.

restic encrypts everything it stores with a key sealed by the passphrase, deduplicates, and
reaches a local folder, SFTP or S3-compatible storage from one repository URL. A snapshot
appears in the repository only once all its data is stored, so an interrupted upload leaves
none; one whose files could not all be read (restic's exit status 3) is removed here.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from django.conf import settings

from .errors import BackupError
from .progress import Progress, human_size

# Every snapshot of this site carries the tag; retention and "latest" look only at those.
TAG = "clinic-site"
# A remote repository that does not answer within this long is reported as unreachable.
REACH_TIMEOUT_SECONDS = 120
# What restic says (on stderr) when it cannot reach a repository over the network.
UNREACHABLE = (
    "connection refused",
    "no such host",
    "dial tcp",
    "i/o timeout",
    "network is unreachable",
    "connection reset",
    "unable to start the sftp session",
    "ssh: ",
    "tls: ",
    "x509: ",
)


def parse_time(value):
    """restic's timestamps have nanoseconds; Python reads microseconds."""
    value = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(value)


class Repository:
    def __init__(self, *, location, password_file="", password=""):
        self.location = location
        self.password_file = password_file
        self.password = password

    @classmethod
    def from_settings(cls):
        return cls(
            location=settings.RESTIC_REPOSITORY,
            password_file=settings.RESTIC_PASSWORD_FILE,
            password=settings.RESTIC_PASSWORD,
        )

    @property
    def shown_location(self):
        """The repository URL with any password in it masked (rest:https://user:***@host/)."""
        return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", self.location)

    def check_configured(self):
        if not self.location:
            raise BackupError(
                "No backup repository is set: set RESTIC_REPOSITORY to a folder, "
                "sftp:user@host:/path or s3:https://host/bucket (see .env.example)."
            )
        if self.password_file:
            if not os.access(self.password_file, os.R_OK):
                raise BackupError(
                    f"The passphrase file {self.password_file} (RESTIC_PASSWORD_FILE) "
                    "does not exist or cannot be read."
                )
        elif not self.password:
            raise BackupError(
                "No backup passphrase is set: set RESTIC_PASSWORD_FILE (or RESTIC_PASSWORD). "
                "There is no default; without the passphrase nobody can read the backups, "
                "so keep a copy of it away from this machine."
            )
        if shutil.which("restic") is None:
            raise BackupError(
                "restic is not installed (Debian: apt-get install restic)."
            )

    def env(self):
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("RESTIC_REPOSITORY", "RESTIC_PASSWORD"))
        }
        env["RESTIC_REPOSITORY"] = self.location
        if self.password_file:
            env["RESTIC_PASSWORD_FILE"] = self.password_file
        else:
            env["RESTIC_PASSWORD"] = self.password
        return env

    # ---- errors -------------------------------------------------------------------------

    def explain(self, stderr, doing):
        """restic's error, worded for the owner with what to do about it."""
        lower = stderr.lower()
        where = self.shown_location
        fatal = [
            line.removeprefix("Fatal: ")
            for line in stderr.strip().splitlines()
            if line.strip()
        ]
        reason = fatal[0] if fatal else "no message"
        if "wrong password" in lower:
            return (
                f"The backup passphrase does not open the repository at {where}: check "
                "RESTIC_PASSWORD_FILE or RESTIC_PASSWORD (it must be the passphrase the "
                "repository was created with)."
            )
        if "already locked" in lower or "unable to create lock" in lower:
            return (
                f"The repository at {where} is locked by another restic run (is a backup "
                "still running?). If none is, remove the stale lock with `restic unlock`."
            )
        if "no space left on device" in lower:
            return (
                f"The backup repository's disk is full ({where}) while {doing}: free space "
                "there or move the repository. Nothing from this run was kept."
            )
        if any(marker in lower for marker in UNREACHABLE):
            return (
                f"The backup repository at {where} cannot be reached ({reason}). Check "
                "the address, the network and the SFTP or S3 credentials."
            )
        if "is there a repository at the following location" in lower or (
            "config" in lower and "no such file or directory" in lower
        ):
            return (
                f"There is no backup repository at {where}. Check RESTIC_REPOSITORY; to "
                "create a new repository there, run `manage.py backup --init` once."
            )
        if "permission denied" in lower:
            return f"restic may not use the repository at {where}: {reason}"
        return f"restic failed while {doing}: {reason}"

    def run(self, *args, doing, timeout=None, cwd=None, stdout=subprocess.PIPE):
        """Run one restic command; a BackupError in the owner's words if it fails."""
        try:
            result = subprocess.run(
                ["restic", *args],
                env=self.env(),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.PIPE,
                text=stdout == subprocess.PIPE,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise BackupError(
                f"The backup repository at {self.shown_location} did not answer within "
                f"{timeout // 60} minutes while {doing}."
            ) from error
        if result.returncode:
            stderr = (
                result.stderr
                if isinstance(result.stderr, str)
                else result.stderr.decode(errors="replace")
            )
            raise BackupError(self.explain(stderr, doing))
        return result

    # ---- commands -------------------------------------------------------------------------

    def init(self):
        try:
            self.run("init", doing="creating the repository")
        except BackupError as error:
            if "already exists" in str(error):
                raise BackupError(
                    f"A repository already exists at {self.shown_location}: run the "
                    "backup without --init."
                ) from error
            raise

    def snapshots(self):
        """This site's snapshots, oldest first."""
        result = self.run(
            "snapshots",
            "--json",
            "--tag",
            TAG,
            doing="listing the snapshots",
            timeout=REACH_TIMEOUT_SECONDS,
        )
        found = json.loads(result.stdout or "[]") or []
        return sorted(found, key=lambda snapshot: parse_time(snapshot["time"]))

    def find(self, snapshot_id=None):
        """The latest snapshot, or the one whose id starts with `snapshot_id`."""
        snapshots = self.snapshots()
        if snapshot_id is None:
            if not snapshots:
                raise BackupError(
                    f"The repository at {self.shown_location} holds no backup of this site yet."
                )
            return snapshots[-1]
        matches = [s for s in snapshots if s["id"].startswith(snapshot_id)]
        if len(matches) != 1:
            raise BackupError(
                f"No single snapshot of this site has the id {snapshot_id!r} "
                f"({len(matches)} match); `manage.py restore --list` shows them."
            )
        return matches[0]

    def backup(self, paths, *, cwd, parent, write):
        """Store `paths` as one snapshot; restic's summary, or a BackupError."""
        args = ["restic", "backup", "--json", "--tag", TAG]
        if parent:
            # The last snapshot's file list: unchanged uploads are not read again.
            args += ["--parent", parent]
        process = subprocess.Popen(
            [*args, "--", *paths],
            env=self.env(),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        stderr = []
        reader = threading.Thread(
            target=lambda: stderr.extend(process.stderr), daemon=True
        )
        reader.start()
        progress = Progress(write)
        summary, unreadable = None, []
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            kind = message.get("message_type")
            if kind == "status":
                progress.update(lambda message=message: self._upload_line(message))
            elif kind == "summary":
                summary = message
            elif kind == "error":
                unreadable.append(message.get("item") or str(message.get("error")))
        process.wait()
        reader.join()
        text = "".join(stderr)
        if process.returncode == 3 and summary:
            # restic stored a snapshot without some files: never let it pass for a backup.
            self.run(
                "forget",
                summary["snapshot_id"],
                doing="removing an incomplete snapshot",
            )
            raise BackupError(
                "Some uploaded files could not be read, so the snapshot was incomplete and "
                f"has been removed: {', '.join(unreadable[:5]) or text.strip()[-300:]}"
            )
        if process.returncode or summary is None:
            raise BackupError(self.explain(text, "uploading the backup"))
        return summary

    @staticmethod
    def _upload_line(status):
        line = f"  upload: {status.get('percent_done', 0):.0%} of {human_size(status.get('total_bytes', 0))}"
        if status.get("seconds_remaining"):
            line += f", about {status['seconds_remaining']} s left"
        return line

    def apply_retention(self, *, daily, weekly, monthly):
        """Forget the snapshots the policy does not keep, then prune their data; (kept, removed)."""
        result = self.run(
            "forget",
            "--json",
            "--tag",
            TAG,
            "--group-by",
            "tags",
            "--keep-daily",
            str(daily),
            "--keep-weekly",
            str(weekly),
            "--keep-monthly",
            str(monthly),
            doing="applying the retention policy",
        )
        groups = json.loads(result.stdout or "[]") or []
        kept = sum(len(group.get("keep") or []) for group in groups)
        removed = sum(len(group.get("remove") or []) for group in groups)
        if removed:
            self.run("prune", doing="pruning forgotten snapshots")
        return kept, removed

    def restore(self, snapshot_id, *, target: Path):
        """The whole snapshot, unpacked under `target` (the uploads at their path under it)."""
        try:
            self.run(
                "restore",
                snapshot_id,
                "--target",
                str(target),
                doing="restoring the snapshot",
            )
        except BackupError as error:
            if "disk is full" in str(error):
                raise BackupError(
                    f"The disk holding {target.parent} is full: free space or point "
                    "BACKUP_STAGING_DIR at a disk with room for the database dump and the "
                    "uploaded files."
                ) from error
            raise
