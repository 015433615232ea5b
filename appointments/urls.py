from django.urls import path
from django.views.generic import TemplateView

from .visit_views import VisitCancelView

app_name = "appointments"

urlpatterns = [
    # Placeholders until the requests issue lands.
    path(
        "appointments/request/",
        TemplateView.as_view(
            template_name="appointments/appointment_request_form.html"
        ),
        name="appointment_request",
    ),
    path(
        "appointments/visits/cancel/<str:token>/",
        VisitCancelView.as_view(),
        name="visit_cancel",
    ),
    path(
        "contact/",
        TemplateView.as_view(template_name="appointments/contact_form.html"),
        name="contact",
    ),
]
