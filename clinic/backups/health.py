import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from ..models import BackupRun


@dataclass(frozen=True)
class BackupHealth:
    """Where the backups stand. `problem` is a reason code the dashboard words:
    "never" (no backup has run), "failed" (the last run failed), "stale" (the last good
    backup is older than BACKUP_MAX_AGE_HOURS), or None when all is well."""

    problem: str | None
    last_run: BackupRun | None
    last_good: BackupRun | None
    max_age: datetime.timedelta


def backup_health(now=None) -> BackupHealth:
    now = now or timezone.now()
    max_age = datetime.timedelta(hours=settings.BACKUP_MAX_AGE_HOURS)
    last_run = BackupRun.objects.first()
    last_good = BackupRun.objects.succeeded().first()
    if last_run is None:
        problem = "never"
    elif last_run.status == BackupRun.Status.FAILED:
        problem = "failed"
    elif last_good.finished_at < now - max_age:
        problem = "stale"
    else:
        problem = None
    return BackupHealth(problem, last_run, last_good, max_age)
