"""The cancellation list: patients with a booking who want an earlier time if one frees up
(WaitlistEntry), and the times offered to them by email (WaitlistOffer).

A freed time is offered to the first few matching patients at once, in the order they asked;
the first to accept gets it, through the same exclusion constraint that guards every booking.
"""

import datetime

from django.core import signing
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format

from .outbox import Notification
from .schedule import Practitioner, Visit, VisitChange, VisitStatus

# The offer link names one offer; what it may still do is decided by the offer's row (open,
# accepted, gone), so a link that has been used or has gone stale changes nothing.
WAITLIST_OFFER_SALT = "appointments.waitlist-offer"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    MOVED = "moved", "Moved to an earlier time"
    EXPIRED = "expired", "Window passed"
    CANCELLED = "cancelled", "Visit cancelled"
    WITHDRAWN = "withdrawn", "Taken off the list"


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self, today: datetime.date | None = None):
        """Entries still waiting whose window has not passed (their visit not yet begun)."""
        today = today or timezone.localdate()
        return self.filter(
            status=WaitlistStatus.WAITING,
            latest_day__gte=today,
            visit__status=VisitStatus.BOOKED,
            visit__starts_at__gt=timezone.now(),
        )

    def passed(self):
        """Entries still marked waiting whose window has passed or whose visit has begun."""
        return self.filter(status=WaitlistStatus.WAITING).filter(
            Q(latest_day__lt=timezone.localdate())
            | Q(visit__starts_at__lte=timezone.now())
        )

    def could_take(self, *, practitioner, starts_at: datetime.datetime):
        """Waiting entries this freed time is earlier than and inside the window of, in the
        order the patients asked. Whether their visit fits the gap is checked per entry."""
        day = timezone.localtime(starts_at).date()
        return (
            self.waiting()
            .filter(
                visit__practitioner=practitioner,
                visit__starts_at__gt=starts_at,
                earliest_day__lte=day,
                latest_day__gte=day,
            )
            .exclude(visit__patient__email="")
            .select_related(
                "visit__patient", "visit__practitioner", "visit__visit_type"
            )
            .order_by("created_at", "pk")
        )


class WaitlistEntry(models.Model):
    """A patient's “tell me if an earlier time opens” for one booked visit."""

    visit = models.ForeignKey(
        Visit,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        help_text="The booking the patient would like earlier.",
    )
    earliest_day = models.DateField(help_text="The first day the patient could come.")
    latest_day = models.DateField(help_text="The last day the patient could come.")
    status = models.CharField(
        max_length=10,
        choices=WaitlistStatus.choices,
        default=WaitlistStatus.WAITING,
        db_index=True,
    )
    created_at = models.DateTimeField("asked", default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "cancellation list entry"
        verbose_name_plural = "cancellation list"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_day__gte=F("earliest_day")),
                name="waitlist_window_in_order",
            ),
            # Asking again changes the window of the one entry: the patient keeps their place.
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_entry_per_visit",
            ),
        ]

    def __str__(self):
        return f"{self.visit.patient}, {self.earliest_day:%Y-%m-%d} to {self.latest_day:%Y-%m-%d}"

    @property
    def window_in_words(self) -> str:
        """“Monday, November 2 to Friday, November 6, 2026”."""
        first = date_format(self.earliest_day, "l, F j")
        if self.earliest_day.year != self.latest_day.year:
            first = date_format(self.earliest_day, "l, F j, Y")
        return f"{first} to {date_format(self.latest_day, 'l, F j, Y')}"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Offered"
    ACCEPTED = "accepted", "Accepted"
    GONE = "gone", "Gone to someone else"


class WaitlistOfferQuerySet(models.QuerySet):
    def for_token(self, token: str) -> "WaitlistOffer":
        """The offer a link is for. Raises signing.BadSignature for a changed link."""
        data = signing.loads(token, salt=WAITLIST_OFFER_SALT)
        try:
            return self.select_related(
                "entry__visit__patient", "entry__visit__practitioner", "practitioner"
            ).get(pk=data["offer"])
        except (WaitlistOffer.DoesNotExist, KeyError, TypeError, ValueError):
            raise signing.BadSignature("No such offer") from None


class WaitlistOffer(models.Model):
    """A freed time offered by email to one patient on the list."""

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField("time offered")
    freed_by = models.ForeignKey(
        VisitChange,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The cancellation or move that freed the time.",
    )
    notification = models.OneToOneField(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_offer",
    )
    status = models.CharField(
        max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN
    )
    created_at = models.DateTimeField("offered", default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = WaitlistOfferQuerySet.as_manager()

    class Meta:
        verbose_name = "earlier time offered"
        verbose_name_plural = "earlier times offered"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The offer task may run twice for one freed time: the second offer is not made.
            models.UniqueConstraint(
                fields=["entry", "starts_at"], name="waitlist_one_offer_per_time"
            ),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} for {self.entry.visit.reference}"

    @property
    def token(self) -> str:
        """The signed part of the offer's accept link (see WaitlistOfferQuerySet.for_token)."""
        return signing.dumps(
            {"offer": self.pk}, salt=WAITLIST_OFFER_SALT, compress=True
        )

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + self.entry.visit.duration

    @property
    def time_in_words(self) -> str:
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{date_format(start, 'l, F j, Y')}, {date_format(start, 'g:i a')} to {date_format(end, 'g:i a')}"
