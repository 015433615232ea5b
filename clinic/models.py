import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

PRACTICE_CACHE_KEY = "clinic:practice:v1"


class Practice(models.Model):
    """The one practice record: every page's name, address, phone and hours come from here."""

    name = models.CharField(
        max_length=120,
        help_text="The practice's name as patients see it in the header.",
    )
    practitioner_name = models.CharField(
        max_length=120,
        help_text="The practitioner's full name, e.g. “Jeffrey I. Kennis”.",
    )
    practitioner_credentials = models.CharField(
        max_length=40, blank=True, help_text="Letters after the name, e.g. “D.C.”."
    )
    street_address = models.CharField(max_length=200)
    neighbourhood = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80)
    state = models.CharField(max_length=2, help_text="Two-letter state code, e.g. MA.")
    postal_code = models.CharField("ZIP code", max_length=10)
    phone = PhoneNumberField(help_text="The number patients should call.")
    email = models.EmailField(
        blank=True,
        help_text="Optional. Shown to patients and used for front-desk notifications.",
    )
    is_accepting_online_requests = models.BooleanField(
        "accepting online requests",
        default=True,
        help_text="Untick to close the online request and contact forms; patients then see the message below and the phone number.",
    )
    online_requests_closed_message = models.TextField(
        blank=True,
        help_text="Shown on the forms while online requests are closed, e.g. “We are away until January 5.”",
    )
    request_min_notice_hours = models.PositiveSmallIntegerField(
        "minimum notice (hours)",
        null=True,
        blank=True,
        help_text="Optional. Patients cannot ask for a time sooner than this. Leave empty for no limit.",
    )
    request_horizon_days = models.PositiveSmallIntegerField(
        "booking horizon (days)",
        null=True,
        blank=True,
        help_text="Optional. Patients cannot ask for a date further ahead than this. Leave empty for no limit.",
    )
    request_retention_days = models.PositiveIntegerField(
        "keep closed requests for (days)",
        null=True,
        blank=True,
        help_text="Closed requests older than this are deleted by the retention job. Leave empty to keep them.",
    )
    copyright_notice = models.TextField(
        blank=True, help_text="Shown in every page's footer."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "practice information"
        verbose_name_plural = "practice information"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="practice_is_singleton"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get_current(cls):
        """The practice record with its hours and closures, cached until staff change it."""
        practice = cache.get(PRACTICE_CACHE_KEY)
        if practice is None:
            practice = cls.objects.prefetch_related("opening_hours", "closures").first()
            if practice is None:
                return None
            # Evaluate the prefetches now so that the cached object carries them.
            list(practice.opening_hours.all())
            list(practice.closures.all())
            cache.set(PRACTICE_CACHE_KEY, practice, 3600)
        return practice

    @classmethod
    def get_cached(cls):
        """The practice record if the cache holds it, without touching the database.

        Error pages use this: they must render while the database is down.
        """
        return cache.get(PRACTICE_CACHE_KEY)

    @property
    def practitioner_display_name(self):
        name = f"Dr. {self.practitioner_name}"
        return (
            f"{name}, {self.practitioner_credentials}"
            if self.practitioner_credentials
            else name
        )

    @property
    def locality_line(self):
        return f"{self.city}, {self.state} {self.postal_code}"

    @property
    def one_line_address(self):
        return f"{self.street_address}, {self.locality_line}"

    @property
    def phone_e164(self):
        return self.phone.as_e164 if self.phone else ""

    @property
    def phone_display(self):
        return self.phone.as_national if self.phone else ""

    @property
    def has_hours(self):
        return bool(self.opening_hours.all())

    def hours_by_weekday(self):
        """[(weekday label, [OpeningHours, ...]), ...] Monday first; empty list = closed."""
        by_day = {day: [] for day in Weekday.values}
        for hours in self.opening_hours.all():
            by_day[hours.weekday].append(hours)
        return [(Weekday(day).label, by_day[day]) for day in Weekday.values]

    def upcoming_closures(self, today=None):
        today = today or timezone.localdate()
        return [closure for closure in self.closures.all() if closure.end_date >= today]

    def closure_on(self, day: datetime.date):
        """The closure that covers this day, or None."""
        return next(
            (c for c in self.closures.all() if c.start_date <= day <= c.end_date), None
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="opening_hours_close_after_open",
            ),
        ]

    def __str__(self):
        return (
            f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"
        )

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": "Closing time must be after opening time."},
                code="closes_before_opens",
            )


class Closure(models.Model):
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="closures"
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="Same as the start date for a single day.")
    public_note = models.CharField(
        max_length=200,
        blank=True,
        help_text="Shown to patients, e.g. “Closed for Thanksgiving”.",
    )

    class Meta:
        verbose_name = "closure"
        verbose_name_plural = "closures"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="closure_ends_after_start",
            ),
        ]

    def __str__(self):
        if self.start_date == self.end_date:
            return f"Closed {self.start_date:%b %-d, %Y}"
        return f"Closed {self.start_date:%b %-d} – {self.end_date:%b %-d, %Y}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": "The closure must end on or after its first day."},
                code="closure_ends_before_start",
            )


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
