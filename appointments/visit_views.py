"""The patient's cancel link from the visit confirmation.

Opening the link only shows a page: mail scanners and link previews open links by themselves,
so cancelling takes a POST from the button on that page.
"""

from django import forms
from django.core import signing
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .workflow import (
    cancel_visit_by_patient,
    describe_visit_time,
    visit_for_cancel_token,
)


class VisitCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Helps us plan. Please do not include medical details.",
    )


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("reason"), name="dispatch")
class VisitCancelView(View):
    template_name = "appointments/visit_cancel.html"

    def dispatch(self, request, token):
        try:
            self.visit = visit_for_cancel_token(token)
        except signing.BadSignature:
            return TemplateResponse(
                request, self.template_name, {"is_broken_link": True}, status=400
            )
        return super().dispatch(request, token)

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
        context = {
            "form": form,
            "when": describe_visit_time(visit),
            "reference": visit.appointment_request.reference,
            "is_cancelled": visit.is_cancelled,
            "has_begun": visit.starts_at <= timezone.now(),
        }
        return TemplateResponse(request, self.template_name, context, status=status)
