"""The public forms, by job: requests.py (the request and contact forms, the form stamp),
online_booking.py (picking a visit type and a time, the details) and visit_link.py (cancel,
choose another time, the cancellation list)."""

from .online_booking import (
    TIME_TAKEN_MESSAGE,
    LaterDatesForm,
    OnlineBookingForm,
    VisitTypeChoiceForm,
    bookable_visit_types,
    check_time,
    visit_type_label,
)
from .requests import (
    PHONE_ERROR,
    STAMP_SALT,
    AppointmentRequestForm,
    ContactMessageForm,
    SubmissionForm,
    new_form_stamp,
    published_article,
    read_form_stamp,
)
from .visit_link import VisitCancelForm, VisitMoveForm, WaitlistForm

__all__ = [
    "PHONE_ERROR",
    "STAMP_SALT",
    "TIME_TAKEN_MESSAGE",
    "AppointmentRequestForm",
    "ContactMessageForm",
    "LaterDatesForm",
    "OnlineBookingForm",
    "SubmissionForm",
    "VisitCancelForm",
    "VisitMoveForm",
    "VisitTypeChoiceForm",
    "WaitlistForm",
    "bookable_visit_types",
    "check_time",
    "new_form_stamp",
    "published_article",
    "read_form_stamp",
    "visit_type_label",
]
