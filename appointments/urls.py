from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path(
        "appointments/request/",
        views.AppointmentRequestView.as_view(),
        name="appointment_request",
    ),
    path(
        "appointments/request/received/",
        views.AppointmentRequestReceivedView.as_view(),
        name="appointment_request_received",
    ),
    path(
        "appointments/book/",
        views.OnlineBookingStartView.as_view(),
        name="online_booking",
    ),
    path(
        "appointments/book/times/",
        views.OnlineBookingTimesView.as_view(),
        name="online_booking_times",
    ),
    path(
        "appointments/book/details/",
        views.OnlineBookingDetailsView.as_view(),
        name="online_booking_details",
    ),
    path(
        "appointments/book/held/",
        views.OnlineBookingHeldView.as_view(),
        name="online_booking_held",
    ),
    path("contact/", views.ContactView.as_view(), name="contact"),
    path(
        "contact/received/",
        views.ContactReceivedView.as_view(),
        name="contact_received",
    ),
    path(
        "appointments/visits/cancel/<str:token>/",
        views.VisitCancelView.as_view(),
        name="visit_cancel",
    ),
    path(
        "appointments/visits/move/<str:token>/",
        views.VisitMoveView.as_view(),
        name="visit_move",
    ),
    path(
        "appointments/visits/earlier/<str:token>/",
        views.VisitWaitlistView.as_view(),
        name="visit_waitlist",
    ),
    path(
        "appointments/visits/earlier-time/<str:token>/",
        views.WaitlistOfferView.as_view(),
        name="waitlist_offer",
    ),
]
