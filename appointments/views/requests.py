"""The request and contact forms and the pages after them."""

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from clinic.form_pages import CachedFormPageMixin
from clinic.models import Practice, Weekday

from ..forms import (
    AppointmentRequestForm,
    ContactMessageForm,
    new_form_stamp,
    published_article,
    read_form_stamp,
)
from ..models import (
    AppointmentRequest,
    ContactMessage,
    Reason,
)
from ..ratelimits import is_rate_limited
from ..services.intake import submit_appointment_request, submit_contact_message

# Far above what the forms can hold (500 + 2,000 characters), far below Django's 2.5 MB.
FORM_MAX_BYTES = 64 * 1024
RATE_LIMIT_WINDOW_SECONDS = 600


def too_many_requests(request):
    response = render(request, "appointments/too_many_requests.html", status=429)
    response["Retry-After"] = str(RATE_LIMIT_WINDOW_SECONDS)
    return response


# Error reports never show what patients typed; pages carrying a one-time token are never cached.
@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class SubmissionFormView(CachedFormPageMixin, FormView):
    # A first visit's page is rendered once and filled in with each visit's tokens.
    per_visit_context = ("form_stamp",)
    model = None
    submit = None
    received_url_name = ""
    session_key = ""
    rate_limit_group = ""

    def dispatch(self, request, *args, **kwargs):
        self.practice = Practice.get_current()
        return super().dispatch(request, *args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return (
            self.practice is not None and not self.practice.is_accepting_online_requests
        )

    def get(self, request, *args, **kwargs):
        if self.is_closed:
            return self.render_closed()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.is_closed:
            return self.render_closed()
        if int(request.META.get("CONTENT_LENGTH") or 0) > FORM_MAX_BYTES:
            return render(
                request,
                "appointments/bad_request.html",
                {
                    "message": "What you sent is far longer than this form allows. Please shorten it and try again."
                },
                status=400,
            )
        if is_rate_limited(
            request,
            group=f"{self.rate_limit_group}-posts",
            rate=settings.REQUEST_POST_RATE_LIMIT,
        ):
            return too_many_requests(request)
        return super().post(request, *args, **kwargs)

    def render_closed(self):
        return render(
            self.request,
            self.template_name,
            {"closed": True, "practice": self.practice},
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "practice": self.practice}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        posted = self.request.POST.get("form_stamp", "") if self.request.POST else ""
        # Keep the posted token while the patient corrects mistakes: it has created nothing yet.
        context["form_stamp"] = posted if read_form_stamp(posted) else new_form_stamp()
        return context

    def form_valid(self, form):
        token = form.cleaned_data["submission_token"]
        # Each form (token) counts once towards the limit, however often it is posted:
        # concurrent retries of one form are one request, not twenty.
        # Kept with the counters, where no flood of cached pages can evict it.
        first_post = caches[settings.RATELIMIT_USE_CACHE].add(
            f"appointments:token:{token}", 1, 3600
        )
        if is_rate_limited(
            self.request,
            group=self.rate_limit_group,
            rate=settings.REQUEST_RATE_LIMIT,
            increment=first_post,
        ):
            # A form already stored is confirmed whatever the limit; only a new one waits.
            submission = self.model.objects.filter(submission_token=token).first()
            if submission is None:
                return too_many_requests(self.request)
        else:
            # A repeat of a stored form (a double click, a retry) gets the stored one back.
            submission, _ = self.submit(
                submission_token=token,
                spam_reason=form.spam_reason(),
                **form.submission_fields(),
            )
        self.request.session[self.session_key] = submission.reference
        return HttpResponseRedirect(reverse(self.received_url_name), status=303)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class AppointmentRequestView(SubmissionFormView):
    form_class = AppointmentRequestForm
    template_name = "appointments/appointment_request_form.html"
    model = AppointmentRequest
    submit = staticmethod(submit_appointment_request)
    received_url_name = "appointments:appointment_request_received"
    session_key = "appointments:request_reference"
    rate_limit_group = "appointment-request"

    def get_initial(self):
        initial = super().get_initial()
        if article := published_article(self.request.GET.get("article", "")):
            # Every patient-education article is about neuropathy and nerve pain.
            initial.update(article=article.slug, reason=Reason.NEUROPATHY)
        return initial

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.practice is not None and self.practice.has_hours:
            open_days = {hours.weekday for hours in self.practice.opening_hours.all()}
            form.fields["preferred_weekdays"].choices = [
                (day, label) for day, label in Weekday.choices if day in open_days
            ]
        return form


class ContactView(SubmissionFormView):
    form_class = ContactMessageForm
    template_name = "appointments/contact_form.html"
    model = ContactMessage
    submit = staticmethod(submit_contact_message)
    received_url_name = "appointments:contact_received"
    session_key = "appointments:message_reference"
    rate_limit_group = "contact"


@method_decorator(never_cache, name="dispatch")
class ReceivedView(TemplateView):
    """The confirmation: the reference comes from this browser's session, never the URL."""

    session_key = ""
    form_url_name = ""

    def get(self, request, *args, **kwargs):
        if not request.session.get(self.session_key):
            return redirect(self.form_url_name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "reference": self.request.session[self.session_key],
        }


class AppointmentRequestReceivedView(ReceivedView):
    template_name = "appointments/appointment_request_received.html"
    session_key = AppointmentRequestView.session_key
    form_url_name = "appointments:appointment_request"


class ContactReceivedView(ReceivedView):
    template_name = "appointments/contact_received.html"
    session_key = ContactView.session_key
    form_url_name = "appointments:contact"
