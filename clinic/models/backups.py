"""What each run of `manage.py backup` did, for the dashboard."""

import datetime

from django.db import models
from django.utils import timezone


class BackupRunQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(status=BackupRun.Status.SUCCEEDED)


class BackupRun(models.Model):
    """One run of `manage.py backup`: when, how big, and whether it worked (for the dashboard)."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField("started")
    finished_at = models.DateTimeField("finished", db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    snapshot_id = models.CharField(
        "snapshot",
        max_length=64,
        blank=True,
        help_text="The restic snapshot to name when restoring this backup.",
    )
    size_bytes = models.BigIntegerField(
        "size",
        null=True,
        blank=True,
        help_text="The database dump and the uploaded files, before deduplication.",
    )
    added_bytes = models.BigIntegerField(
        "new data stored",
        null=True,
        blank=True,
        help_text="What this run added to the repository (unchanged files cost nothing).",
    )
    error = models.TextField(blank=True, help_text="Why the run failed.")

    objects = BackupRunQuerySet.as_manager()

    class Meta:
        verbose_name = "backup run"
        verbose_name_plural = "backup runs"
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self):
        return f"Backup of {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}: {self.get_status_display().lower()}"

    @property
    def duration(self) -> datetime.timedelta:
        return self.finished_at - self.started_at
