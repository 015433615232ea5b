"""The one practice record: name, address, phone, the about pages, online settings."""

import datetime
import pickle

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from sorl.thumbnail import ImageField

from ..pagecache.generation import read_state
from .hours import Weekday

PRACTICE_CACHE_KEY = "clinic:practice:v1"
# This process's copy of the record: (the page cache's generation it was read under, pickled).
# Nearly every request reads the record, and fetching it from Redis was a tenth of the request
# form's time. Every change to the record, its hours or its closures bumps that generation
# (clinic/signals.py), so a copy kept under the current one is current; each caller still gets
# its own unpickled instance, never one another request could have changed.
_local_copy = (None, b"")


class MedicalSpecialty(models.TextChoices):
    """schema.org MedicalSpecialty values a chiropractic practice might describe itself by."""

    MUSCULOSKELETAL = "Musculoskeletal", "Musculoskeletal"
    NEUROLOGIC = "Neurologic", "Neurologic"
    PHYSIOTHERAPY = "Physiotherapy", "Physiotherapy"
    PRIMARY_CARE = "PrimaryCare", "Primary care"
    GERIATRIC = "Geriatric", "Geriatric"
    PEDIATRIC = "Pediatric", "Pediatric"


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class OnlineBooking(models.TextChoices):
    """Whether patients may pick a real open time on the website, and what happens then."""

    OFF = "off", "Off: patients send a request and the front desk calls"
    HOLD = "hold", "Hold then confirm: staff confirm or decline each time picked"
    CONFIRM_RETURNING = (
        "confirm_returning",
        "Confirm at once for returning patients; hold new patients' times",
    )


# The "about" fields that tell a new patient who they will see and what to expect. Empty by
# default: the pages show what staff fill in and nothing else.
ABOUT_FIELDS = [
    "practitioner_photo",
    "practitioner_bio",
    "practitioner_qualifications",
    "conditions_treated",
    "first_visit",
    "insurance_and_payment",
    "parking_and_transit",
]


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
    late_cancel_hours = models.PositiveSmallIntegerField(
        "late-cancel window (hours)",
        null=True,
        blank=True,
        help_text="Optional. Inside this many hours before a visit, the patient's cancel link "
        "asks them to call instead, and cancels nothing. Leave empty to let them cancel until "
        "the visit begins.",
    )
    online_booking = models.CharField(
        "online booking",
        max_length=20,
        choices=OnlineBooking.choices,
        default=OnlineBooking.OFF,
        help_text="Whether patients may pick one of the open times themselves. The times come "
        "from the opening hours and closures below, the visit types ticked “patients may book "
        "it online” and the practitioners' visits. The request form stays for patients whom "
        "no time suits.",
    )
    hold_hours = models.PositiveSmallIntegerField(
        "hold a picked time for (hours)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="How long a time a patient picked stays held for them while nobody has "
        "confirmed or declined it; then it is freed and the patient is told. Needed once "
        "online booking is on.",
    )
    online_booking_horizon_days = models.PositiveSmallIntegerField(
        "patients may book online up to (days ahead)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="How far ahead the website offers times. Needed once online booking is on. "
        "The minimum notice above applies too, and so does the booking horizon if it is "
        "nearer.",
    )
    online_booking_step_minutes = models.PositiveSmallIntegerField(
        "offer a start time every (minutes)",
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Optional, e.g. 15 for 9:00, 9:15, 9:30… Leave empty to offer times one "
        "visit apart (the visit's length plus its buffer), from each opening time.",
    )
    request_retention_days = models.PositiveIntegerField(
        "keep requests and messages for (days)",
        null=True,
        blank=True,
        help_text="The retention job deletes a request or message this many days after it was "
        "last worked on: after it was closed, or, if nobody closed it, after its last change or "
        "visit. Patient records left with nothing go with them; patients with visits stay. "
        "The privacy notice quotes this period. Leave empty to keep everything.",
    )
    copyright_notice = models.TextField(
        blank=True, help_text="Shown in every page's footer."
    )
    languages_spoken = models.CharField(
        "languages spoken at the practice",
        max_length=200,
        blank=True,
        help_text="Optional. The languages the doctor or staff speak with patients themselves, "
        "e.g. “English and Italian”. Shown on the visit and language assistance pages. "
        "Leave empty rather than guess: interpreters are offered for every language anyway.",
    )
    section_1557_coordinator = models.CharField(
        "Section 1557 coordinator",
        max_length=200,
        blank=True,
        help_text="Optional. Name and job title of the person who answers questions and "
        "complaints about discrimination, interpreters and disability aids, e.g. “Maria Rossi, "
        "Office Manager” (required by law once the practice has 15 or more employees). Shown on "
        "the nondiscrimination notice when filled in.",
    )
    section_1557_coordinator_phone = PhoneNumberField(
        "coordinator's phone",
        blank=True,
        help_text="Optional. Leave empty and the notice gives the practice's phone number.",
    )
    section_1557_coordinator_email = models.EmailField(
        "coordinator's email",
        blank=True,
        help_text="Optional. Shown with the coordinator's name.",
    )
    # --- About the practice and practitioner (the /about/ page, home and visit pages) --------
    practitioner_photo = ImageField(
        "practitioner's photo",
        upload_to="practice/",
        blank=True,
        help_text="Optional. A recent, friendly photo of the practitioner; shown on the About "
        "page and the home page.",
    )
    practitioner_photo_alt = models.CharField(
        "photo description (alt text)",
        max_length=200,
        blank=True,
        help_text="What the photo shows, for patients who cannot see it, e.g. “Dr. Kennis in "
        "the treatment room”. Leave empty to say “Photo of” and the practitioner's name.",
    )
    practitioner_bio = models.TextField(
        "short biography",
        blank=True,
        help_text="Optional. A few sentences in the practitioner's own words: background, "
        "approach, why patients come. Leave empty rather than guess.",
    )
    practitioner_qualifications = models.TextField(
        "qualifications and licences",
        blank=True,
        help_text="Optional. One per line, e.g. the degree and college, the state licence, "
        "memberships. Shown as a list on the About page.",
    )
    conditions_treated = models.TextField(
        "conditions treated",
        blank=True,
        help_text="Optional. One per line, e.g. “Neck pain”. Shown as a list on the About page.",
    )
    first_visit = models.TextField(
        "your first visit",
        blank=True,
        help_text="Optional. What happens at a first visit: how long it takes, what to bring, "
        "what to wear. Shown on the About and visit pages; a blank line starts a new paragraph.",
    )
    insurance_and_payment = models.TextField(
        "insurance and payment",
        blank=True,
        help_text="Optional. Which insurance the practice accepts and how patients pay. Leave "
        "empty until confirmed: patients rely on it.",
    )
    parking_and_transit = models.TextField(
        "parking and transit",
        blank=True,
        help_text="Optional. Where to park and the nearest stations or bus stops. Shown on the "
        "visit page.",
    )
    medical_specialty = models.CharField(
        "specialty for search engines",
        max_length=20,
        choices=MedicalSpecialty.choices,
        blank=True,
        help_text="Optional. How search engines should classify the practice (schema.org "
        "medicalSpecialty). Not shown to patients.",
    )
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Optional. The entrance's position for maps and search engines, e.g. "
        "42.363100 (copy it from a map app). Fill in both or neither.",
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="Optional, e.g. -71.051200.",
    )
    map_url = models.URLField(
        "map link",
        blank=True,
        help_text="Optional. A link to the practice on a map (Google Maps, OpenStreetMap); "
        "search engines use it (schema.org hasMap).",
    )
    same_as = models.TextField(
        "the practice elsewhere on the web",
        blank=True,
        help_text="Optional. One address per line of the practice's own profiles, e.g. its "
        "Google Business Profile or Yelp page (schema.org sameAs). Not shown to patients.",
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

    def clean(self):
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = (
                ValidationError(
                    "Fill in both latitude and longitude, or neither.",
                    code="half_a_position",
                )
            )
        for line in _lines(self.same_as):
            try:
                URLValidator(schemes=["https", "http"])(line)
            except ValidationError:
                errors["same_as"] = ValidationError(
                    "“%(line)s” is not a web address. Put one address per line, starting "
                    "with https://.",
                    code="invalid_same_as",
                    params={"line": line},
                )
                break
        if self.online_booking != OnlineBooking.OFF:
            for name in ("hold_hours", "online_booking_horizon_days"):
                if getattr(self, name) is None:
                    errors[name] = ValidationError(
                        "Fill this in to switch online booking on.",
                        code="needed_for_online_booking",
                    )
        if errors:
            raise ValidationError(errors)
        if not self.section_1557_coordinator and (
            self.section_1557_coordinator_phone or self.section_1557_coordinator_email
        ):
            raise ValidationError(
                {
                    "section_1557_coordinator": "Enter the coordinator's name and title, "
                    "or leave the coordinator's phone and email empty."
                },
                code="coordinator_contact_without_name",
            )

    @classmethod
    def get_current(cls):
        """The practice record with its hours and closures, cached until staff change it."""
        global _local_copy
        # The generation is read before the record: if staff save meanwhile, the copy is kept
        # under the older generation and the next call reads the record again.
        state = read_state()
        generation = state["generation"] if state else None
        kept_under, pickled = _local_copy
        if generation is not None and kept_under == generation:
            return pickle.loads(pickled)
        practice = cache.get(PRACTICE_CACHE_KEY)
        if practice is None:
            practice = cls.objects.prefetch_related("opening_hours", "closures").first()
            if practice is None:
                return None
            # Evaluate the prefetches now so that the cached object carries them.
            list(practice.opening_hours.all())
            list(practice.closures.all())
            cache.set(PRACTICE_CACHE_KEY, practice, 3600)
        if generation is not None:
            _local_copy = (generation, pickle.dumps(practice))
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
    def practitioner_photo_description(self):
        return (
            self.practitioner_photo_alt or f"Photo of {self.practitioner_display_name}"
        )

    @property
    def qualifications_list(self):
        return _lines(self.practitioner_qualifications)

    @property
    def conditions_list(self):
        return _lines(self.conditions_treated)

    @property
    def same_as_urls(self):
        return _lines(self.same_as)

    @property
    def has_about(self):
        """True once staff have filled in anything the About page shows."""
        return any(getattr(self, name) for name in ABOUT_FIELDS)

    @property
    def missing_about_fields(self):
        """The verbose names of the About page's fields still empty, for the owner's prompt."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in ABOUT_FIELDS
            if not getattr(self, name)
        ]

    @property
    def takes_online_bookings(self) -> bool:
        """Patients may pick a time: online booking is on and the form is open."""
        return (
            self.online_booking != OnlineBooking.OFF
            and self.is_accepting_online_requests
        )

    @property
    def hold_length(self) -> datetime.timedelta | None:
        """How long a picked time stays held (None: until staff answer)."""
        return datetime.timedelta(hours=self.hold_hours) if self.hold_hours else None

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
    def coordinator_phone_e164(self):
        return (
            self.section_1557_coordinator_phone.as_e164
            if self.section_1557_coordinator_phone
            else ""
        )

    @property
    def coordinator_phone_display(self):
        return (
            self.section_1557_coordinator_phone.as_national
            if self.section_1557_coordinator_phone
            else ""
        )

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
