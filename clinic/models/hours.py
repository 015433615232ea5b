"""Opening hours by weekday and closures (holidays, vacations)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


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
        "clinic.Practice", on_delete=models.CASCADE, related_name="opening_hours"
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
        "clinic.Practice", on_delete=models.CASCADE, related_name="closures"
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
