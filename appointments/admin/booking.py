"""Booking in the admin: one visit for a phoning, walking-in or web patient, or a series.

Mounted under Visits (see VisitAdmin.get_urls): /visit/book/?patient=<id> or ?request=<id>,
or with neither for a new patient; /visit/book-series/?patient=<id>. Each page validates with
the staff forms and books through the schedule service, whose database constraint has the
last word on clashes.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from clinic import calendar

from ..admin_forms import (
    BookVisitForm,
    NewPatientForm,
    OccurrenceForm,
    SeriesForm,
    TimeProblem,
    check_visit_time,
)
from ..models import AppointmentRequest, Patient, Visit, VisitSource
from ..services.frontdesk import patient_of
from ..services.schedule import (
    Booking,
    SchedulingError,
    VisitConflict,
    book_series,
    book_visit,
)

OccurrenceFormSet = formset_factory(OccurrenceForm, extra=0)


def _positive_int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _who(request):
    """The patient (or the request whose patient it is) named in the query string."""
    appointment_request = None
    patient = None
    if "request" in request.GET:
        number = _positive_int(request.GET["request"])
        appointment_request = AppointmentRequest.objects.filter(pk=number).first()
        if appointment_request is None:
            raise Http404("No such request.")
    elif "patient" in request.GET:
        number = _positive_int(request.GET["patient"])
        patient = Patient.objects.filter(pk=number).first()
        if patient is None:
            raise Http404("No such patient.")
    return patient, appointment_request


def day_bookings(day):
    """The day's booked visits, shown beside the booking form."""
    if day is None:
        return []
    start, end = calendar.day_bounds(day)
    return list(
        Visit.objects.booked()
        .between(start, end)
        .select_related("practitioner", "visit_type", "patient")
        .order_by("starts_at")
    )


def next_free_times(*, practitioner, length, buffer, after, count=3):
    """The next few starts after `after`, on the quarter hour, when the practitioner is free
    and the practice open (within 7:00 to 20:00 when no hours are set), up to two weeks on."""
    found = []
    moment = after.replace(second=0, microsecond=0)
    moment += datetime.timedelta(minutes=15 - moment.minute % 15)
    horizon = after + datetime.timedelta(days=14)
    while len(found) < count and moment < horizon:
        local = timezone.localtime(moment)
        try:
            check_visit_time(local.date(), local.time(), length)
            possible = True
        except TimeProblem:
            possible = False
        if possible and not (
            Visit.objects.blocking(moment, moment + length + buffer)
            .filter(practitioner=practitioner)
            .exists()
        ):
            found.append(moment)
        moment += datetime.timedelta(minutes=15)
    return found


def book_view(model_admin, request):
    """Book a visit for the patient or request in the query string, or for a new patient."""
    patient, appointment_request = _who(request)
    return booking_page(model_admin, request, patient, appointment_request)


def booking_page(model_admin, request, patient, appointment_request):
    if not request.user.has_perm("appointments.add_visit"):
        raise PermissionDenied
    if appointment_request is not None:
        patient = appointment_request.patient
    is_new_patient = patient is None and appointment_request is None
    data = request.POST or None
    # A free time chosen in the calendar arrives as ?date=…&time=…&practitioner=….
    initial = {
        name: request.GET[name]
        for name in ("date", "time", "practitioner")
        if len(request.GET.get(name, "")) in range(1, 40)
    }
    form = BookVisitForm(
        data, initial=initial, from_request=appointment_request is not None
    )
    patient_form = NewPatientForm(data, prefix="patient") if is_new_patient else None
    suggestions = []
    status = 200
    if request.method == "POST":
        valid = form.is_valid() & (patient_form is None or patient_form.is_valid())
        if valid:
            try:
                with transaction.atomic():
                    if patient_form is not None:
                        patient = patient_form.save()
                    elif appointment_request is not None:
                        patient = patient_of(appointment_request)
                    visit = book_visit(
                        booking=Booking(
                            patient=patient,
                            practitioner=form.cleaned_data["practitioner"],
                            visit_type=form.cleaned_data.get("visit_type"),
                            duration=form.length(),
                            source=(
                                VisitSource.WEB
                                if appointment_request
                                else form.cleaned_data["source"]
                            ),
                            appointment_request=appointment_request,
                        ),
                        starts_at=form.cleaned_data["starts_at"],
                        by=request.user,
                    )
            except SchedulingError as error:
                form.add_error(
                    "time" if isinstance(error, VisitConflict) else None, str(error)
                )
                if isinstance(error, VisitConflict):
                    visit_type = form.cleaned_data.get("visit_type")
                    suggestions = next_free_times(
                        practitioner=form.cleaned_data["practitioner"],
                        length=form.length(),
                        buffer=visit_type.buffer
                        if visit_type
                        else datetime.timedelta(0),
                        after=form.cleaned_data["starts_at"],
                    )
                status = 409 if isinstance(error, VisitConflict) else 400
            else:
                confirmation = (
                    "A confirmation email is on its way to the patient."
                    if patient.email
                    else "The patient has no email address: call them to confirm."
                )
                messages.success(
                    request,
                    f"Visit booked for {timezone.localtime(visit.starts_at):%A, %B %-d at %-I:%M %p}. {confirmation}",
                )
                return redirect(
                    appointment_request.get_admin_url()
                    if appointment_request
                    else visit.get_admin_url()
                )
        else:
            status = 400
    chosen_day = form.cleaned_data.get("date") if form.is_bound else None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Book a visit"
        + (f" for {patient}" if patient else " for a new patient"),
        "opts": model_admin.opts,
        "form": form,
        "patient_form": patient_form,
        "patient": patient,
        "appointment_request": appointment_request,
        "day": chosen_day,
        "day_visits": day_bookings(chosen_day),
        "suggestions": suggestions,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request, "admin/appointments/visit/book.html", context, status=status
    )


def series_view(model_admin, request):
    if not request.user.has_perm("appointments.add_visit"):
        raise PermissionDenied
    patient, appointment_request = _who(request)
    if appointment_request is not None:
        patient = patient_of(appointment_request)
    if patient is None:
        raise Http404("Choose the patient first.")
    rule = SeriesForm(request.POST or None)
    rows = None
    status = 200
    if request.method == "POST":
        if not rule.is_valid():
            status = 400
        elif request.POST.get("checked_rule") != rule.description():
            # A new or changed rule: lay out its visits afresh.
            rows = OccurrenceFormSet(
                prefix="visit",
                initial=[
                    {
                        "date": day,
                        "time": time,
                        "planned": f"{day:%a, %b %-d} at {time:%-I:%M %p}",
                    }
                    for day, time in rule.occurrences()
                ],
            )
        else:
            rows = OccurrenceFormSet(request.POST, prefix="visit")
            if "_book" in request.POST:
                result = _book_checked_series(
                    request, rule, rows, patient, appointment_request
                )
                if result is not None:
                    return result
                status = 409
    checked = _check_rows(rule, rows) if rows is not None else []
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Book a series of visits for {patient}",
        "opts": model_admin.opts,
        "rule": rule,
        "rule_description": rule.description()
        if rule.is_bound and rule.is_valid()
        else "",
        "rows": rows,
        "checked": checked,
        "clash_count": sum(1 for _, problem in checked if problem),
        "patient": patient,
        "appointment_request": appointment_request,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request, "admin/appointments/visit/book_series.html", context, status=status
    )


def _check_rows(rule, rows):
    """Each row with its problem (closed, clash, past...), for the page to show."""
    practitioner = rule.cleaned_data["practitioner"]
    length = rule.length()
    visit_type = rule.cleaned_data.get("visit_type")
    buffer = visit_type.buffer if visit_type else datetime.timedelta(0)
    checked = []
    seen = []
    for row in rows:
        if not row.is_bound:
            day, time = row.initial["date"], row.initial["time"]
            skipped = False
        elif row.is_valid():
            data = row.cleaned_data
            skipped = data["choice"] == OccurrenceForm.SKIP
            day, time = data["date"], data["time"]
        else:
            checked.append((row, "Enter a date and time."))
            continue
        if skipped:
            checked.append((row, ""))
            continue
        try:
            starts_at = check_visit_time(day, time, length)
        except TimeProblem as problem:
            checked.append((row, str(problem)))
            continue
        ends = starts_at + length + buffer
        clash = (
            Visit.objects.blocking(starts_at, ends)
            .filter(practitioner=practitioner)
            .select_related("appointment_request")
            .first()
        )
        if clash is not None:
            checked.append(
                (row, f"{practitioner} already has a visit then ({clash.staff_label}).")
            )
        elif any(
            starts_at < other_end and other_start < ends
            for other_start, other_end in seen
        ):
            checked.append((row, "Two visits of this series overlap."))
        else:
            seen.append((starts_at, ends))
            checked.append((row, ""))
    return checked


def _book_checked_series(request, rule, rows, patient, appointment_request):
    """Book the rows as staff left them, if none has a problem; else None (page shown again)."""
    if not rows.is_valid():
        return None
    checked = _check_rows(rule, rows)
    if any(problem for _, problem in checked):
        return None
    starts = []
    for row in rows:
        data = row.cleaned_data
        if data["choice"] != OccurrenceForm.SKIP:
            starts.append(check_visit_time(data["date"], data["time"], rule.length()))
    try:
        series = book_series(
            booking=Booking(
                patient=patient,
                practitioner=rule.cleaned_data["practitioner"],
                visit_type=rule.cleaned_data.get("visit_type"),
                duration=rule.length(),
                source=VisitSource.WEB if appointment_request else VisitSource.PHONE,
                appointment_request=appointment_request,
            ),
            starts=starts,
            description=rule.description(),
            by=request.user,
        )
    except SchedulingError as error:
        messages.error(request, f"Nothing was booked: {error}")
        return None
    count = series.visits.count()
    told = (
        "One email with every time is on its way to the patient."
        if patient.email
        else "The patient has no email address: call them to confirm."
    )
    messages.success(request, f"{count} visits booked ({series}). {told}")
    return redirect(patient.get_admin_url())
