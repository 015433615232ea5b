"""The practice's own records, by job: the practice, its hours and closures, taglines, backups."""

from .backups import BackupRun, BackupRunQuerySet
from .hours import Closure, OpeningHours, Weekday
from .practice import (
    ABOUT_FIELDS,
    PRACTICE_CACHE_KEY,
    MedicalSpecialty,
    OnlineBooking,
    Practice,
)
from .taglines import (
    LANGUAGE_TAG_SYNTAX,
    PHONE_PLACEHOLDER,
    RIGHT_TO_LEFT_SCRIPTS,
    Tagline,
    TaglineQuerySet,
    TextDirection,
    is_language_tag,
    validate_language_tag,
)

__all__ = [
    "ABOUT_FIELDS",
    "LANGUAGE_TAG_SYNTAX",
    "PHONE_PLACEHOLDER",
    "PRACTICE_CACHE_KEY",
    "RIGHT_TO_LEFT_SCRIPTS",
    "BackupRun",
    "BackupRunQuerySet",
    "Closure",
    "MedicalSpecialty",
    "OnlineBooking",
    "OpeningHours",
    "Practice",
    "Tagline",
    "TaglineQuerySet",
    "TextDirection",
    "Weekday",
    "is_language_tag",
    "validate_language_tag",
]
