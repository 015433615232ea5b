"""The patients' pages, by job: requests.py (the request and contact forms and their
confirmations), online_booking.py (picking a real open time) and visit_link.py (the pages of a
visit's link: manage, choose another time, the cancellation list, an earlier time offered)."""

from .online_booking import (
    OnlineBookingDetailsView,
    OnlineBookingHeldView,
    OnlineBookingStartView,
    OnlineBookingTimesView,
)
from .requests import (
    AppointmentRequestReceivedView,
    AppointmentRequestView,
    ContactReceivedView,
    ContactView,
)
from .visit_link import (
    VisitCancelView,
    VisitMoveView,
    VisitWaitlistView,
    WaitlistOfferView,
)

__all__ = [
    "AppointmentRequestReceivedView",
    "AppointmentRequestView",
    "ContactReceivedView",
    "ContactView",
    "OnlineBookingDetailsView",
    "OnlineBookingHeldView",
    "OnlineBookingStartView",
    "OnlineBookingTimesView",
    "VisitCancelView",
    "VisitMoveView",
    "VisitWaitlistView",
    "WaitlistOfferView",
]
