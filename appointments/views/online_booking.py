"""Online booking: the patient picks a visit type, then a real open time, then gives their
details; the time is held for them (or booked at once)."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from clinic.models import Practice

from ..forms import (
    TIME_TAKEN_MESSAGE,
    LaterDatesForm,
    OnlineBookingForm,
    VisitTypeChoiceForm,
    check_time,
    published_article,
    read_form_stamp,
)
from ..models import (
    AppointmentRequest,
    PatientType,
    Reason,
    Visit,
)
from ..ratelimits import has_reached_limit, is_rate_limited
from ..services import open_times as open_times_engine
from ..services.online_booking import FormAlreadySent, TimeTaken, hold_time
from .requests import SubmissionFormView, too_many_requests

# How many days with open times one page of times shows; "Later dates" shows the next ones.
DAYS_PER_PAGE = 5
# How many other times a patient whose time was just taken is offered.
NEAREST_COUNT = 6


def online_booking_is_open(practice) -> bool:
    return practice is not None and practice.takes_online_bookings


def render_booking_closed(request, status=200):
    return render(
        request,
        "appointments/online_booking_closed.html",
        {"practice": Practice.get_current()},
        status=status,
    )


def times_url(*, patient_type: str, visit_type, start=None, article=None) -> str:
    query = {"patient_type": patient_type, "visit_type": visit_type.pk}
    if start is not None:
        query["from"] = start.isoformat()
    if article is not None:
        query["article"] = article.slug
    return f"{reverse('appointments:online_booking_times')}?{urlencode(query)}"


def choices_context(visit_type, patient_type) -> dict:
    return {
        "visit_type": visit_type,
        "patient_type": patient_type,
        "patient_type_label": PatientType(patient_type).label,
    }


@method_decorator(never_cache, name="dispatch")
class OnlineBookingStartView(View):
    """Step one: new or returning, and which kind of visit (a GET form to the times)."""

    template_name = "appointments/online_booking_start.html"

    def get(self, request):
        practice = Practice.get_current()
        if not online_booking_is_open(practice):
            return render_booking_closed(request)
        form = VisitTypeChoiceForm()
        return TemplateResponse(
            request,
            self.template_name,
            {
                "form": form,
                "has_types": form.fields["visit_type"].queryset.exists(),
                # The article the patient came from, carried to the request it makes.
                "article": published_article(request.GET.get("article", "")),
            },
        )


@method_decorator(never_cache, name="dispatch")
class OnlineBookingTimesView(View):
    """Step two: the open times, grouped by day, a few days a page."""

    def get(self, request):
        practice = Practice.get_current()
        if not online_booking_is_open(practice):
            return render_booking_closed(request)
        choice = VisitTypeChoiceForm(request.GET)
        if not choice.is_valid():
            return TemplateResponse(
                request,
                OnlineBookingStartView.template_name,
                {"form": choice, "has_types": True},
                status=400,
            )
        later = LaterDatesForm({"start": request.GET.get("from", "")})
        start = later.cleaned_data["start"] if later.is_valid() else None
        visit_type = choice.cleaned_data["visit_type"]
        patient_type = choice.cleaned_data["patient_type"]
        article = published_article(request.GET.get("article", ""))
        days, next_start = page_of_times(practice, visit_type, start)
        context = {
            **choices_context(visit_type, patient_type),
            "days": days,
            "article": article,
            "later_url": next_start
            and times_url(
                patient_type=patient_type,
                visit_type=visit_type,
                start=next_start,
                article=article,
            ),
            "is_later_page": start is not None and start > timezone.localdate(),
            "first_page_url": times_url(
                patient_type=patient_type, visit_type=visit_type, article=article
            ),
            "show_practitioner": len({t.practitioner for _, ts in days for t in ts})
            > 1,
        }
        return TemplateResponse(
            request, "appointments/online_booking_times.html", context
        )


def page_of_times(practice, visit_type, start):
    """([(day, times)] for up to DAYS_PER_PAGE days from `start`, the first day of the next
    page or None)."""
    days = open_times_engine.days_with_times(
        visit_type=visit_type,
        count=DAYS_PER_PAGE + 1,
        first_day=start,
        practice=practice,
    )
    page, rest = days[:DAYS_PER_PAGE], days[DAYS_PER_PAGE:]
    return page, (rest[0][0] if rest else None)


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class OnlineBookingDetailsView(SubmissionFormView):
    """Step three: the patient's details; sending them holds the time."""

    form_class = OnlineBookingForm
    template_name = "appointments/online_booking_details.html"
    session_key = "appointments:hold_reference"
    rate_limit_group = "online-booking"

    @property
    def is_closed(self) -> bool:
        return not online_booking_is_open(self.practice)

    def render_closed(self):
        return render_booking_closed(self.request)

    def get(self, request, *args, **kwargs):
        if self.is_closed:
            return self.render_closed()
        # Arriving from the times page: its choices come in the query string.
        choice = VisitTypeChoiceForm(request.GET)
        if not choice.is_valid():
            return TemplateResponse(
                request,
                OnlineBookingStartView.template_name,
                {"form": choice, "has_types": True},
                status=400,
            )
        visit_type = choice.cleaned_data["visit_type"]
        open_time, problem = check_time(
            self.practice, visit_type, request.GET.get("time", "")
        )
        if problem is not None:
            form = self.get_form_class()(
                practice=self.practice,
                initial={
                    "patient_type": choice.cleaned_data["patient_type"],
                    "visit_type": visit_type.pk,
                },
            )
            return self.render_with_times(
                form,
                visit_type,
                choice.cleaned_data["patient_type"],
                problem.message,
                status=400,
            )
        initial = {
            "patient_type": choice.cleaned_data["patient_type"],
            "visit_type": visit_type.pk,
            "time": open_time.key,
        }
        if article := published_article(request.GET.get("article", "")):
            initial.update(article=article.slug, reason=Reason.NEUROPATHY)
        form = self.get_form_class()(practice=self.practice, initial=initial)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                offered_times=[open_time],
                chosen_key=open_time.key,
                **choices_context(visit_type, choice.cleaned_data["patient_type"]),
            )
        )

    def post(self, request, *args, **kwargs):
        stamp = read_form_stamp(request.POST.get("form_stamp", ""))
        if stamp is not None and not self.is_closed:
            sent = AppointmentRequest.objects.filter(submission_token=stamp[0]).first()
            if sent is not None:
                return self.already_sent(sent)
        return super().post(request, *args, **kwargs)

    def already_sent(self, appointment_request):
        """This form was sent before: the same browser sees its hold, anyone else a 400."""
        if self.request.session.get(self.session_key) == appointment_request.reference:
            # A double click or a refresh: the first post already holds the time.
            return HttpResponseRedirect(
                reverse("appointments:online_booking_held"), status=303
            )
        return render(
            self.request,
            "appointments/bad_request.html",
            {
                "message": "This form has been sent already, so nothing more was held. "
                "To choose a time, please start again from the online booking page."
            },
            status=400,
        )

    def render_with_times(self, form, visit_type, patient_type, problem, *, status):
        """The form again, offering the real times nearest the one asked for."""
        patient_type = patient_type or PatientType.NEW
        parsed = open_times_engine.parse_key(
            form.data.get("time", "") or self.request.GET.get("time", "")
        )
        around = parsed[1] if parsed else timezone.now()
        offered = open_times_engine.nearest_open_times(
            visit_type=visit_type,
            moment=around,
            count=NEAREST_COUNT,
            practice=self.practice,
        )
        context = self.get_context_data(
            form=form,
            offered_times=offered,
            chosen_key="",
            times_problem=problem,
            **choices_context(visit_type, patient_type),
            times_page_url=times_url(patient_type=patient_type, visit_type=visit_type),
        )
        return self.render_to_response(context, status=status)

    def render_to_response(self, context, status=200, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.status_code = status
        return response

    def form_invalid(self, form):
        visit_type = form.cleaned_data.get("visit_type")
        if visit_type is None:
            # No valid kind of visit: start again from step one.
            choice = VisitTypeChoiceForm(
                {"patient_type": form.data.get("patient_type", "")}
            )
            choice.is_valid()
            return TemplateResponse(
                self.request,
                OnlineBookingStartView.template_name,
                {
                    "form": choice,
                    "has_types": True,
                    "problem": "That kind of visit cannot be booked online. "
                    "Please choose one of these.",
                },
                status=400,
            )
        patient_type = form.cleaned_data.get("patient_type") or PatientType.NEW
        if "time" not in form.errors and form.open_time is not None:
            # The time is fine; only the details need correcting.
            context = self.get_context_data(
                form=form,
                offered_times=[form.open_time],
                chosen_key=form.open_time.key,
                **choices_context(visit_type, patient_type),
            )
            return self.render_to_response(context, status=400)
        problem = form.errors.get("time")
        taken = form.has_error("time", "taken")
        return self.render_with_times(
            form,
            visit_type,
            form.cleaned_data.get("patient_type"),
            problem[0] if problem else None,
            status=409 if taken else 400,
        )

    def form_valid(self, form):
        if has_reached_limit(
            self.request, group="online-hold", rate=settings.ONLINE_HOLD_RATE_LIMIT
        ):
            return too_many_requests(self.request)
        token = form.cleaned_data["submission_token"]
        first_post = caches[settings.RATELIMIT_USE_CACHE].add(
            f"appointments:token:{token}", 1, 3600
        )
        if is_rate_limited(
            self.request,
            group=self.rate_limit_group,
            rate=settings.REQUEST_RATE_LIMIT,
            increment=first_post,
        ):
            return too_many_requests(self.request)
        open_time = form.open_time
        fields = form.submission_fields()
        visit_type = fields.pop("visit_type", None) or form.cleaned_data["visit_type"]
        fields.pop("time", None)
        try:
            hold = hold_time(
                submission_token=token,
                spam_reason=form.spam_reason(),
                visit_type=visit_type,
                practitioner=open_time.practitioner,
                starts_at=open_time.starts_at,
                practice=self.practice,
                **fields,
            )
        except FormAlreadySent as sent:
            return self.already_sent(sent.request)
        except TimeTaken:
            form.add_error(
                "time", forms.ValidationError(TIME_TAKEN_MESSAGE, code="taken")
            )
            return self.render_with_times(
                form,
                visit_type,
                form.cleaned_data.get("patient_type"),
                TIME_TAKEN_MESSAGE,
                status=409,
            )
        if hold.visit is not None:
            is_rate_limited(
                self.request, group="online-hold", rate=settings.ONLINE_HOLD_RATE_LIMIT
            )
        self.request.session[self.session_key] = hold.appointment_request.reference
        return HttpResponseRedirect(
            reverse("appointments:online_booking_held"), status=303
        )


@method_decorator(never_cache, name="dispatch")
class OnlineBookingHeldView(View):
    """The page after sending: the same words whether the time is held or confirmed at once,
    so that it tells nobody whether the details matched a patient's record."""

    def get(self, request):
        reference = request.session.get(OnlineBookingDetailsView.session_key)
        if not reference:
            return redirect("appointments:online_booking")
        visit = (
            Visit.objects.filter(appointment_request__reference=reference)
            .select_related("practitioner", "visit_type")
            .first()
        )
        return TemplateResponse(
            request,
            "appointments/online_booking_held.html",
            {"reference": reference, "visit": visit},
        )
