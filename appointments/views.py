"""The patients' pages: the request and contact forms, their confirmations, and the pages of a
visit's link (manage: cancel, choose another time, the cancellation list, an earlier time)."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
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
from django.views.generic import FormView, TemplateView

from clinic.form_pages import CachedFormPageMixin
from clinic.models import Practice, Weekday

from .forms import (
    TIME_TAKEN_MESSAGE,
    AppointmentRequestForm,
    ContactMessageForm,
    LaterDatesForm,
    OnlineBookingForm,
    VisitCancelForm,
    VisitMoveForm,
    VisitTypeChoiceForm,
    WaitlistForm,
    check_time,
    new_form_stamp,
    published_article,
    read_form_stamp,
)
from .models import (
    AppointmentRequest,
    ContactMessage,
    PatientType,
    Reason,
    Visit,
    WaitlistOffer,
)
from .ratelimits import has_reached_limit, is_rate_limited
from .services import open_times as open_times_engine
from .services.intake import submit_appointment_request, submit_contact_message
from .services.moves import (
    MAX_MOVES_BY_LINK,
    MoveOutcome,
    MoveRefusal,
    move_visit_by_patient,
    moves_by_link,
    times_for_move,
    why_not_movable,
)
from .services.online_booking import FormAlreadySent, TimeTaken, hold_time
from .services.open_times import MAX_HORIZON_DAYS, by_day, last_bookable_day, nearest
from .services.schedule import cancel_visit_by_patient, late_cancel_deadline
from .services.waitlist import (
    OfferOutcome,
    WaitlistClosed,
    accept_waitlist_offer,
    can_wait,
    join_waitlist,
    leave_waitlist,
    offer_outcome,
)

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


# The patient's link from the visit's emails: the "manage your visit" page (cancel, choose another
# time, the cancellation list). Opening a link only shows a page: mail scanners and link previews
# open links by themselves, so every change takes a POST from a button on the page.
class VisitLinkView(View):
    """A page reached by the visit's signed link; a changed link gets a 400 page."""

    template_name = ""

    def dispatch(self, request, token):
        self.practice = Practice.get_current()
        try:
            self.visit = Visit.objects.for_cancel_token(token)
        except signing.BadSignature:
            return TemplateResponse(
                request,
                "appointments/visit_cancel.html",
                {"is_broken_link": True},
                status=400,
            )
        # The pages link to each other with the patient's own token (a fresh one would differ).
        self.manage_url = reverse("appointments:visit_cancel", args=[token])
        self.move_url = reverse("appointments:visit_move", args=[token])
        self.waitlist_url = reverse("appointments:visit_waitlist", args=[token])
        return super().dispatch(request, token)

    def visit_context(self) -> dict:
        visit = self.visit
        return {
            "visit": visit,
            "when": visit.time_in_words,
            "reference": visit.patient_reference,
            "manage_url": self.manage_url,
            "move_url": self.move_url,
            "waitlist_url": self.waitlist_url,
            "late_cancel_hours": getattr(self.practice, "late_cancel_hours", None),
        }

    def back_to_visit(self, message):
        messages.success(self.request, message)
        # Post/Redirect/Get: a refresh shows the page, not a re-post.
        return HttpResponseRedirect(self.manage_url, status=303)


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("reason"), name="dispatch")
class VisitCancelView(VisitLinkView):
    template_name = "appointments/visit_cancel.html"

    def get(self, request, token):
        return self.render(request, VisitCancelForm())

    def post(self, request, token):
        form = VisitCancelForm(request.POST)
        if not form.is_valid():
            return self.render(request, form, status=400)
        cancel_visit_by_patient(visit=self.visit, reason=form.cleaned_data["reason"])
        response = redirect(request.path)
        response.status_code = (
            303  # Post/Redirect/Get: a refresh shows the page, not a re-post.
        )
        return response

    def render(self, request, form, status=200):
        visit = self.visit
        deadline = late_cancel_deadline(visit, self.practice)
        context = {
            **self.visit_context(),
            "form": form,
            "is_cancelled": visit.is_cancelled,
            "has_begun": visit.has_begun,
            "is_too_late": deadline is not None and timezone.now() >= deadline,
            "move_refusal": why_not_movable(visit, practice=self.practice),
            "moves_left": MAX_MOVES_BY_LINK - moves_by_link(visit),
            "waitlist_entry": visit.waitlist_entries.waiting().first(),
            "can_wait": can_wait(visit),
        }
        return TemplateResponse(request, self.template_name, context, status=status)


@method_decorator(never_cache, name="dispatch")
class VisitMoveView(VisitLinkView):
    """“Choose another time”: online booking's open times for the visit's type and
    practitioner, a week per page; choosing one moves the visit (a POST)."""

    template_name = "appointments/visit_move.html"
    days_per_page = 7

    def get(self, request, token):
        if refusal := why_not_movable(self.visit, practice=self.practice):
            return self.refused(refusal)
        first_day = self.first_day(request.GET.get("from"))
        if first_day is None:
            return self.render(
                VisitMoveForm(visit=self.visit, practice=self.practice),
                first_day=timezone.localdate(),
                bad_date=True,
                status=400,
            )
        return self.render(
            VisitMoveForm(visit=self.visit, practice=self.practice), first_day=first_day
        )

    def post(self, request, token):
        if refusal := why_not_movable(self.visit, practice=self.practice):
            return self.refused(refusal)
        first_day = self.first_day(request.POST.get("from")) or timezone.localdate()
        form = VisitMoveForm(request.POST, visit=self.visit, practice=self.practice)
        if not form.is_valid():
            taken_at = getattr(form, "taken_at", None)
            if taken_at is not None:
                return self.render_taken(form, taken_at)
            return self.render(form, first_day=first_day, status=400)
        chosen = form.cleaned_data["time"]
        outcome = move_visit_by_patient(visit=self.visit, starts_at=chosen.starts_at)
        if outcome == MoveOutcome.MOVED:
            return self.back_to_visit(
                f"Your visit has moved to {self.visit.time_in_words}. We have emailed you "
                "the new time with a calendar file that updates your calendar."
            )
        if outcome == MoveOutcome.TAKEN:
            form.add_error(
                "time", "That time was just taken. Choose another time below."
            )
            return self.render_taken(form, chosen.starts_at)
        if outcome == MoveOutcome.NOT_OFFERED:
            form.add_error(
                "time", "We cannot offer that time. Choose one of the times below."
            )
            return self.render(form, first_day=first_day, status=400)
        return self.refused(outcome)

    def first_day(self, value) -> datetime.date | None:
        """The first day of the page (?from=), today when absent; None when it is not a day."""
        today = timezone.localdate()
        if not value:
            return today
        try:
            day = datetime.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            return None
        # Nothing is offered beyond the engine's horizon; a page further out is past it too.
        return min(max(day, today), today + datetime.timedelta(days=MAX_HORIZON_DAYS))

    def render(self, form, *, first_day, bad_date=False, status=200):
        last_day = first_day + datetime.timedelta(days=self.days_per_page - 1)
        horizon = last_bookable_day(self.practice)
        times = times_for_move(
            self.visit, first_day=first_day, last_day=last_day, practice=self.practice
        )
        has_later = horizon is None or last_day < horizon
        today = timezone.localdate()
        context = {
            **self.visit_context(),
            "form": form,
            "days": by_day(times),
            "first_day": first_day,
            "last_day": last_day,
            "later": (last_day + datetime.timedelta(days=1)).isoformat()
            if has_later
            else "",
            "earlier": max(
                first_day - datetime.timedelta(days=self.days_per_page), today
            ).isoformat()
            if first_day > today
            else "",
            "bad_date": bad_date,
            "moves_left": MAX_MOVES_BY_LINK - moves_by_link(self.visit),
        }
        return TemplateResponse(
            self.request, self.template_name, context, status=status
        )

    def render_taken(self, form, taken_at):
        """409: the time went to someone else; the nearest other times, to pick again."""
        day = timezone.localdate(taken_at)
        around = times_for_move(
            self.visit,
            first_day=day - datetime.timedelta(days=self.days_per_page),
            last_day=day + datetime.timedelta(days=self.days_per_page),
            practice=self.practice,
        )
        context = {
            **self.visit_context(),
            "form": form,
            "days": by_day(nearest(around, taken_at)),
            "is_taken": True,
            "first_day": day,
            "later": "",
            "earlier": "",
            "moves_left": MAX_MOVES_BY_LINK - moves_by_link(self.visit),
        }
        return TemplateResponse(self.request, self.template_name, context, status=409)

    def refused(self, refusal):
        context = {**self.visit_context(), "refusal": refusal}
        status = (
            410 if refusal in (MoveRefusal.CANCELLED, MoveRefusal.HAS_BEGUN) else 403
        )
        return TemplateResponse(
            self.request, self.template_name, context, status=status
        )


@method_decorator(never_cache, name="dispatch")
class VisitWaitlistView(VisitLinkView):
    """“Tell me if an earlier time opens”: join the cancellation list, change the days, leave."""

    template_name = "appointments/visit_waitlist.html"

    def get(self, request, token):
        if not can_wait(self.visit):
            return self.closed()
        entry = self.visit.waitlist_entries.waiting().first()
        initial = (
            {"earliest_day": entry.earliest_day, "latest_day": entry.latest_day}
            if entry
            else {
                "earliest_day": timezone.localdate(),
                "latest_day": timezone.localdate(self.visit.starts_at),
            }
        )
        return self.render(self.form(initial=initial), entry=entry)

    def post(self, request, token):
        if not can_wait(self.visit):
            return self.closed()
        if "leave" in request.POST:
            leave_waitlist(visit=self.visit)
            return self.back_to_visit(
                "You are off the cancellation list. Your visit stays as it is."
            )
        form = self.form(data=request.POST)
        if not form.is_valid():
            entry = self.visit.waitlist_entries.waiting().first()
            return self.render(form, entry=entry, status=400)
        try:
            entry = join_waitlist(visit=self.visit, **form.cleaned_data)
        except WaitlistClosed:
            return self.closed()
        return self.back_to_visit(
            f"You are on the cancellation list from {entry.window_in_words}. We will "
            "email you if an earlier time opens."
        )

    def form(self, **kwargs):
        return WaitlistForm(visit=self.visit, practice=self.practice, **kwargs)

    def render(self, form, *, entry=None, status=200):
        context = {**self.visit_context(), "form": form, "entry": entry}
        return TemplateResponse(
            self.request, self.template_name, context, status=status
        )

    def closed(self):
        context = {**self.visit_context(), "is_closed": True}
        return TemplateResponse(self.request, self.template_name, context, status=409)


@method_decorator(never_cache, name="dispatch")
class WaitlistOfferView(View):
    """The link in an “earlier time is free” email: see the time, then take it with a button."""

    template_name = "appointments/waitlist_offer.html"

    def dispatch(self, request, token):
        try:
            self.offer = WaitlistOffer.objects.for_token(token)
        except signing.BadSignature:
            return TemplateResponse(
                request, self.template_name, {"is_broken_link": True}, status=400
            )
        return super().dispatch(request, token)

    def get(self, request, token):
        outcome = offer_outcome(self.offer)
        return self.render(outcome, status=410 if outcome == OfferOutcome.GONE else 200)

    def post(self, request, token):
        outcome = accept_waitlist_offer(offer=self.offer)
        if outcome == OfferOutcome.ACCEPTED:
            return HttpResponseRedirect(request.path, status=303)
        return self.render(outcome, status=409)

    def render(self, outcome, *, status):
        # Accepting may have changed all three: show them as they are now.
        self.offer.refresh_from_db()
        self.offer.entry.refresh_from_db()
        visit = self.offer.entry.visit
        visit.refresh_from_db()
        context = {
            "outcome": outcome,
            "offer": self.offer,
            "when": visit.time_in_words,
            "reference": visit.patient_reference,
            "manage_url": reverse(
                "appointments:visit_cancel", args=[visit.cancel_token]
            ),
        }
        return TemplateResponse(
            self.request, self.template_name, context, status=status
        )


# --- Online booking: the patient picks a real open time ----------------------------------------

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
    times = open_times_engine.open_times(
        visit_type=visit_type, first_day=start, practice=practice
    )
    days = open_times_engine.by_day(times)
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
        times = open_times_engine.open_times(
            visit_type=visit_type, practice=self.practice
        )
        around = parsed[1] if parsed else timezone.now()
        offered = open_times_engine.nearest(times, around, count=NEAREST_COUNT)
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
