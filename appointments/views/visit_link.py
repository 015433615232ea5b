"""The pages of a visit's link from its emails: manage (cancel, choose another time, the
cancellation list) and an earlier time offered from the list."""

import datetime

from django.contrib import messages
from django.core import signing
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from clinic.models import Practice

from ..forms import (
    VisitCancelForm,
    VisitMoveForm,
    WaitlistForm,
)
from ..models import (
    Visit,
    WaitlistOffer,
)
from ..services.moves import (
    MAX_MOVES_BY_LINK,
    MoveOutcome,
    MoveRefusal,
    move_visit_by_patient,
    moves_by_link,
    times_for_move,
    why_not_movable,
)
from ..services.open_times import MAX_HORIZON_DAYS, by_day, last_bookable_day, nearest
from ..services.schedule import cancel_visit_by_patient, late_cancel_deadline
from ..services.waitlist import (
    OfferOutcome,
    WaitlistClosed,
    accept_waitlist_offer,
    can_wait,
    join_waitlist,
    leave_waitlist,
    offer_outcome,
)


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
            # Let go by the patient before anyone confirmed it: it never was a visit.
            "was_only_held": visit.is_cancelled and visit.was_only_held,
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
