"""The practice's whole schedule from the admin: phone-in patients, visits, series, moves,
cancellations, what happened, merges, the late-cancel window, and the calendar files patients'
apps read (through ical.js, Thunderbird's parser)."""

import datetime
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.models import (
    AccessRecord,
    AppointmentRequest,
    ContactMessage,
    Notification,
    Patient,
    Visit,
    VisitChange,
    VisitSeries,
)
from appointments.services.patients import PatientMergeError, merge_patients
from appointments.services.schedule import (
    Booking,
    SchedulingError,
    VisitConflict,
    book_series,
    book_visit,
)
from tests.factories import (
    make_appointment_request,
    make_contact_message,
    make_front_desk_user,
    make_patient,
    make_practitioner,
    make_visit,
    make_visit_type,
)
from tests.support.calendar_apps import read_with_icaljs
from tests.support.mail import calendar_parts

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
BOOK = "admin:appointments_visit_book"
SERIES = "admin:appointments_visit_book_series"


@pytest.fixture
def desk(staff_client, practice, settings):
    settings.SITE_URL = "https://www.kennis.example"
    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    user = make_front_desk_user()
    return user, staff_client(user)


def in_days(days, hour=10, minute=0):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BOSTON)


def next_wednesday(hour, minute=0):
    """A weekday in a usual working day, whatever day the tests run."""
    today = timezone.localdate()
    day = today + datetime.timedelta(days=(2 - today.weekday()) % 7 + 7)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=BOSTON)


def utc(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def calendar_file(message, name="visit.ics", method="REQUEST"):
    """The named .ics as a mail app gets it; its part says the same method as the file."""
    [part] = [part for part in calendar_parts(message) if part["filename"] == name]
    assert part["method"] == method
    return part["text"].encode()


def test_front_desk_enters_a_phone_in_patient_and_books_them(desk, mailoutbox):
    user, client = desk
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    follow_up = make_visit_type(
        name="Follow-up", duration_minutes=20, buffer_minutes=10
    )
    starts = next_wednesday(9, 40)

    response = client.post(
        reverse(BOOK),
        {
            "patient-name": "  Maria   Rossi ",
            "patient-phone": "(617) 555-0199",
            "patient-email": "",
            "patient-preferred_contact_method": "phone",
            "practitioner": practitioner.pk,
            "visit_type": follow_up.pk,
            "duration": "30",
            "date": starts.date().isoformat(),
            "time": "09:40",
            "source": "phone",
        },
    )

    patient = Patient.objects.get()
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response.url == visit.get_admin_url()
    assert (patient.name, patient.phone.as_e164, patient.email) == (
        "Maria Rossi",
        "+16175550199",
        "",
    )
    assert (
        visit.patient,
        visit.source,
        visit.starts_at,
        visit.ends_at - visit.starts_at,
        visit.blocked_until - visit.ends_at,
        visit.call_needed,
        visit.created_by,
    ) == (
        patient,
        "phone",
        starts,
        datetime.timedelta(minutes=20),
        datetime.timedelta(minutes=10),
        "confirm",
        user,
    )
    # No email to send: the dashboard says to call.
    assert list(Notification.objects.all()) == []
    assert list(visit.changes.values_list("action", "changed_by")) == [
        ("booked", user.pk)
    ]
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Maria R." in dashboard and "Call to confirm the visit" in dashboard


def test_the_buffer_after_a_visit_cannot_be_booked_by_anyone(desk):
    practitioner = make_practitioner()
    first = make_patient(name="Ann One")
    exam = make_visit_type(
        name="New patient exam", duration_minutes=45, buffer_minutes=15
    )
    book_visit(
        booking=Booking(patient=first, practitioner=practitioner, visit_type=exam),
        starts_at=in_days(3, 9),
        by=desk[0],
    )
    with pytest.raises(VisitConflict):
        book_visit(
            booking=Booking(
                patient=make_patient(name="Bea Two"),
                practitioner=practitioner,
                duration=datetime.timedelta(minutes=20),
            ),
            starts_at=in_days(3, 9, 50),  # inside the 15 minutes kept free after 9:45
            by=desk[0],
        )
    assert Visit.objects.count() == 1


def series_rule(practitioner, first_day, **overrides):
    data = {
        "practitioner": practitioner.pk,
        "duration": "30",
        "first_day": first_day.isoformat(),
        "weekdays": ["1", "3"],  # Tuesday, Thursday
        "time": "10:00",
        "weeks": "6",
    }
    data.update(overrides)
    return data


def rows_as_checked(response):
    """The series page's rows as a browser would post them back."""
    data = {"visit-TOTAL_FORMS": "0", "visit-INITIAL_FORMS": "0"}
    rows = response.context["rows"]
    data["visit-TOTAL_FORMS"] = str(len(rows.forms))
    for index, row in enumerate(rows.forms):
        prefix = f"visit-{index}"
        data[f"{prefix}-choice"] = "book"
        data[f"{prefix}-date"] = str(row["date"].value())
        data[f"{prefix}-time"] = str(row["time"].value())[:5]
        data[f"{prefix}-planned"] = row["planned"].value()
    data["checked_rule"] = response.context["rule_description"]
    return data


def test_a_series_with_two_clashes_is_booked_once_they_are_skipped_or_moved(
    desk, mailoutbox
):
    _, client = desk
    practitioner = make_practitioner(first_name="Robin", last_name="Lee")
    patient = make_patient(name="Carla Diaz", email="carla@example.com")
    tuesday = timezone.localdate() + datetime.timedelta(
        days=(1 - timezone.localdate().weekday()) % 7 + 7
    )
    rule = series_rule(practitioner, tuesday)
    url = f"{reverse(SERIES)}?patient={patient.pk}"
    clash_one = make_visit(
        practitioner=practitioner,
        starts_at=datetime.datetime.combine(
            tuesday + datetime.timedelta(days=7), datetime.time(10, 15), tzinfo=BOSTON
        ),
    )
    clash_two = make_visit(
        practitioner=practitioner,
        starts_at=datetime.datetime.combine(
            tuesday + datetime.timedelta(days=16), datetime.time(9, 45), tzinfo=BOSTON
        ),
    )

    checked = client.post(url, {**rule, "_check": "Check these times"})
    problems = [problem for _, problem in checked.context["checked"] if problem]
    assert len(checked.context["checked"]) == 12
    assert problems == [
        f"Robin Lee already has a visit then ({clash_one.staff_label}).",
        f"Robin Lee already has a visit then ({clash_two.staff_label}).",
    ]
    # Booking while problems remain books nothing.
    refused = client.post(url, {**rule, **rows_as_checked(checked), "_book": "1"})
    assert refused.status_code == 409
    assert Visit.objects.filter(patient=patient).count() == 0

    answer = {**rule, **rows_as_checked(checked), "_book": "1"}
    answer["visit-2-choice"] = "skip"  # the second Tuesday
    answer["visit-5-choice"] = "move"  # the third Thursday, to 11:00
    answer["visit-5-time"] = "11:00"
    booked = client.post(url, answer)

    series = VisitSeries.objects.get()
    visits = list(series.visits.order_by("starts_at"))
    assert booked.status_code == 302
    assert len(visits) == 11
    assert [timezone.localtime(v.starts_at).time() for v in visits].count(
        datetime.time(11, 0)
    ) == 1
    assert series.description == (
        f"Tue, Thu at 10:00 AM for 6 weeks from {tuesday:%b %-d, %Y}"
    )
    # One email with every time, and a calendar file for each visit.
    tasks.deliver_due()
    [email] = mailoutbox
    assert email.subject == f"Your visits are booked ({visits[0].patient_reference})"
    assert len(calendar_parts(email)) == 11
    files = [read_with_icaljs(calendar_file(email, f"visit-{n}.ics")) for n in (1, 11)]
    assert [(f["method"], f["uid"], f["start"]) for f in files] == [
        ("REQUEST", f"{visits[0].uid}@www.kennis.example", utc(visits[0].starts_at)),
        ("REQUEST", f"{visits[-1].uid}@www.kennis.example", utc(visits[-1].starts_at)),
    ]


def test_a_series_is_all_or_nothing_when_a_clash_appears_while_saving(desk):
    practitioner = make_practitioner()
    patient = make_patient(name="Carla Diaz")
    starts = [in_days(10), in_days(12), in_days(14)]
    make_visit(practitioner=practitioner, starts_at=starts[2])
    with pytest.raises(VisitConflict):
        book_series(
            booking=Booking(
                patient=patient,
                practitioner=practitioner,
                duration=datetime.timedelta(minutes=30),
            ),
            starts=starts,
            description="three visits",
            by=desk[0],
        )
    assert (
        Visit.objects.filter(patient=patient).count(),
        VisitSeries.objects.count(),
    ) == (0, 0)


def test_a_series_across_the_clock_change_keeps_the_boston_time(desk):
    practitioner = make_practitioner()
    patient = make_patient()
    # Tuesdays at 10:00 around 2026-11-01 (back) and 2027-03-14 (forward).
    for first, offsets in [
        (datetime.date(2026, 10, 27), ("14:00", "15:00")),
        (datetime.date(2027, 3, 9), ("15:00", "14:00")),
    ]:
        series = book_series(
            booking=Booking(
                patient=patient,
                practitioner=practitioner,
                duration=datetime.timedelta(minutes=30),
            ),
            starts=[
                datetime.datetime.combine(first, datetime.time(10), tzinfo=BOSTON),
                datetime.datetime.combine(
                    first + datetime.timedelta(days=7), datetime.time(10), tzinfo=BOSTON
                ),
            ],
            description="two Tuesdays",
            by=desk[0],
        )
        assert [
            f"{v.starts_at.astimezone(datetime.UTC):%H:%M}"
            for v in series.visits.order_by("starts_at")
        ] == list(offsets)


def test_series_rows_that_cannot_be_booked_say_why(desk, practice):
    _, client = desk
    practitioner = make_practitioner()
    patient = make_patient()
    practice.closures.create(
        start_date=datetime.date(2027, 3, 16), end_date=datetime.date(2027, 3, 16)
    )
    from clinic.models import Practice

    Practice.get_current()
    checked = client.post(
        f"{reverse(SERIES)}?patient={patient.pk}",
        series_rule(
            practitioner,
            datetime.date(2027, 3, 14),
            weekdays=["6", "1"],
            time="02:30",
            weeks="1",
        ),
    )
    assert [problem for _, problem in checked.context["checked"]] == [
        "That time does not exist on this day (the clocks change).",
        "The practice is closed on Tuesday, March 16, 2027.",
    ]
    far = client.post(
        f"{reverse(SERIES)}?patient={patient.pk}",
        series_rule(
            practitioner,
            timezone.localdate() + datetime.timedelta(days=2 * 366 - 3),
            weekdays=["0", "1", "2", "3", "4", "5", "6"],
            weeks="1",
        ),
    )
    assert "Choose a date within the next two years." in [
        problem for _, problem in far.context["checked"]
    ]


def test_moving_a_visit_keeps_its_calendar_event_and_raises_the_sequence(
    desk, mailoutbox
):
    user, client = desk
    visit = make_visit(starts_at=datetime.datetime(2027, 3, 9, 10, tzinfo=BOSTON))
    uid = visit.uid

    response = client.post(
        reverse("admin:appointments_visit_move", args=[visit.pk]),
        {"date": "2027-03-16", "time": "10:00", "tell_patient": "on"},
    )

    visit.refresh_from_db()
    assert response.status_code == 302
    assert (visit.uid, visit.sequence, visit.starts_at) == (
        uid,
        1,
        datetime.datetime(2027, 3, 16, 10, tzinfo=BOSTON),
    )
    assert list(
        visit.changes.filter(action="rescheduled").values_list(
            "from_starts_at", "to_starts_at", "changed_by"
        )
    ) == [
        (
            datetime.datetime(2027, 3, 9, 15, tzinfo=datetime.UTC),
            datetime.datetime(2027, 3, 16, 14, tzinfo=datetime.UTC),
            user.pk,
        )
    ]
    tasks.deliver_due()
    [moved] = [m for m in mailoutbox if m.subject.startswith("Your visit has moved")]
    assert "Tuesday, March 16, 2027, 10:00 a.m." in moved.body
    assert message_from_bytes(moved.message().as_bytes())["Auto-Submitted"] == (
        "auto-generated"
    )
    seen = read_with_icaljs(calendar_file(moved))
    assert (seen["method"], seen["uid"], seen["sequence"], seen["start"]) == (
        "REQUEST",
        f"{uid}@www.kennis.example",
        1,
        "2027-03-16T14:00:00.000Z",  # EDT: the clocks went forward on March 14
    )


def test_cancelling_removes_the_event_from_the_patients_calendar(desk, mailoutbox):
    user, client = desk
    visit = make_visit(starts_at=in_days(6))

    confirm_page = client.get(
        reverse("admin:appointments_visit_cancel", args=[visit.pk])
    )
    assert Visit.objects.get().status == "booked"  # the page only asks
    assert 'name="tell_patient"' in confirm_page.content.decode()
    client.post(
        reverse("admin:appointments_visit_cancel", args=[visit.pk]),
        {"reason": "Practitioner ill", "tell_patient": "on"},
    )

    visit.refresh_from_db()
    assert (visit.status, visit.cancellation_reason, visit.sequence) == (
        "cancelled",
        "Practitioner ill",
        1,
    )
    tasks.deliver_due()
    [cancelled] = [m for m in mailoutbox if "cancelled" in m.subject]
    assert cancelled.to == ["jane@example.com"]
    seen = read_with_icaljs(calendar_file(cancelled, method="CANCEL"))
    assert (seen["method"], seen["status"], seen["uid"], seen["sequence"]) == (
        "CANCEL",
        "CANCELLED",
        f"{visit.uid}@www.kennis.example",
        1,
    )
    # The time is free again.
    make_visit(practitioner=visit.practitioner, starts_at=visit.starts_at)


def test_cancelling_without_telling_sends_nothing_and_a_patient_without_email_is_called(
    desk, mailoutbox
):
    _, client = desk
    quiet = make_visit(starts_at=in_days(6))
    no_email = make_visit(
        patient=make_patient(name="Tom Hale", email=""), starts_at=in_days(7)
    )
    no_email.call_needed = ""  # they were told at booking
    no_email.save()

    client.post(
        reverse("admin:appointments_visit_cancel", args=[quiet.pk]),
        {"reason": "Patient phoned"},
    )
    client.post(
        reverse("admin:appointments_visit_cancel", args=[no_email.pk]),
        {"reason": "", "tell_patient": "on"},
    )
    tasks.deliver_due()

    no_email.refresh_from_db()
    assert mailoutbox == []
    assert no_email.call_needed == "tell_cancel"
    client.post(reverse("admin:appointments_visit_called", args=[no_email.pk]))
    no_email.refresh_from_db()
    assert (no_email.call_needed, no_email.changes.last().action) == ("", "called")


def test_a_visit_that_has_begun_cannot_be_moved_or_cancelled(desk):
    _, client = desk
    begun = make_visit(
        starts_at=timezone.now() - datetime.timedelta(minutes=5),
        created_at=timezone.now() - datetime.timedelta(days=2),
    )
    moved = client.post(
        reverse("admin:appointments_visit_move", args=[begun.pk]),
        {"date": in_days(2).date().isoformat(), "time": "10:00", "tell_patient": "on"},
    )
    cancelled = client.post(
        reverse("admin:appointments_visit_cancel", args=[begun.pk]), {"reason": "x"}
    )
    begun.refresh_from_db()
    assert (moved.status_code, cancelled.status_code) == (400, 400)
    assert (
        "This visit has begun, so it can no longer be moved." in moved.content.decode()
    )
    assert "mark it as a no-show instead" in cancelled.content.decode()
    assert (begun.status, begun.sequence) == ("booked", 0)


def test_marking_what_happened_is_kept_with_who_and_when(desk):
    user, client = desk
    # Halfway between midnight and now: today, whenever the tests run.
    midnight = datetime.datetime.combine(
        timezone.localdate(), datetime.time(0), tzinfo=BOSTON
    )
    today = make_visit(
        starts_at=midnight + (timezone.now() - midnight) / 2,
        created_at=midnight - datetime.timedelta(days=1),
    )
    later = make_visit(starts_at=in_days(3))

    client.post(
        reverse("admin:appointments_visit_mark", args=[today.pk]), {"status": "arrived"}
    )
    client.post(
        reverse("admin:appointments_visit_mark", args=[today.pk]),
        {"status": "completed"},
    )
    refused = client.post(
        reverse("admin:appointments_visit_mark", args=[later.pk]), {"status": "no_show"}
    )

    today.refresh_from_db()
    later.refresh_from_db()
    assert today.status == "completed"
    assert list(today.changes.values_list("action", "changed_by")) == [
        ("arrived", user.pk),
        ("completed", user.pk),
    ]
    assert (refused.status_code, later.status) == (400, "booked")
    assert "That can be recorded on the day of the visit." in refused.content.decode()


def test_merging_two_records_of_one_person_moves_everything(desk):
    user, client = desk
    keep = make_patient(name="Jane Doe", email="", notes="Prefers mornings")
    duplicate = make_patient(name="Jane Doe", phone="", email="jd@example.com")
    request = make_appointment_request(patient=duplicate)
    message = make_contact_message(patient=duplicate)
    visit = make_visit(patient=duplicate)

    check = client.post(
        reverse("admin:appointments_patient_merge", args=[keep.pk]),
        {"duplicate": duplicate.pk},
    )
    assert "This cannot be undone." in check.content.decode()
    assert Patient.objects.count() == 2
    client.post(
        reverse("admin:appointments_patient_merge", args=[keep.pk]),
        {"duplicate": duplicate.pk, "_confirm": "1"},
    )

    keep.refresh_from_db()
    assert list(Patient.objects.all()) == [keep]
    assert (
        AppointmentRequest.objects.get(pk=request.pk).patient,
        ContactMessage.objects.get(pk=message.pk).patient,
        Visit.objects.get(pk=visit.pk).patient,
    ) == (keep, keep, keep)
    assert (keep.phone.as_e164, keep.email, keep.notes) == (
        "+16175550123",
        "jd@example.com",
        "Prefers mornings",
    )
    assert list(
        AccessRecord.objects.filter(action="merged").values_list(
            "username", "references"
        )
    ) == [(user.username, [f"Patient #{duplicate.pk}", f"Patient #{keep.pk}"])]


def test_a_patient_cannot_be_merged_into_themself(desk):
    _, client = desk
    patient = make_patient()
    response = client.post(
        reverse("admin:appointments_patient_merge", args=[patient.pk]),
        {"duplicate": patient.pk, "_confirm": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "duplicate": ["That is this patient's own number: choose the other record."]
    }
    with pytest.raises(PatientMergeError):
        merge_patients(keep=patient, duplicate=patient, by=desk[0])
    assert Patient.objects.count() == 1


def test_opening_a_patient_is_recorded_in_the_audit_trail(desk):
    user, client = desk
    patient = make_patient()
    make_visit(patient=patient, starts_at=in_days(2))
    page = client.get(patient.get_admin_url()).content.decode()
    assert "Upcoming visits" in page and "Book a series" in page
    assert list(
        AccessRecord.objects.values_list("username", "action", "references")
    ) == [(user.username, "viewed_patient", [f"Patient #{patient.pk}"])]


def test_web_requests_find_or_create_their_patient(client, practice, settings):
    from tests.factories import appointment_request_data

    settings.FRONT_DESK_EMAIL = "frontdesk@example.com"
    client.post("/appointments/request/", appointment_request_data(name="Jane Doe"))
    client.post(
        "/appointments/request/", appointment_request_data(name="jane doe", email="")
    )
    client.post("/appointments/request/", appointment_request_data(name="John Doe"))
    janes, johns = (
        Patient.objects.get(name="Jane Doe"),
        Patient.objects.get(name="John Doe"),
    )
    assert sorted(
        AppointmentRequest.objects.values_list("patient__name", flat=True)
    ) == ["Jane Doe", "Jane Doe", "John Doe"]
    assert (janes.phone.as_e164, johns.phone.as_e164) == (
        "+16175550123",
        "+16175550123",
    )


def test_a_patient_is_found_by_name_however_it_is_typed_but_not_by_phone_alone(
    practice,
):
    from appointments.services.patients import find_or_create_patient

    first = find_or_create_patient(
        name="José Álvarez", phone="+16175550123", email="jose@example.com"
    )
    # A phone shared by a whole family: each name is its own record, found as one row.
    for number in range(40):
        find_or_create_patient(name=f"Relative {number}", phone="+16175550123")
    same = [
        find_or_create_patient(name="  JOSÉ   ÁLVAREZ ", phone="+16175550123"),
        find_or_create_patient(name="josé álvarez", email="JOSE@Example.com"),
    ]
    assert [patient.pk for patient in same] == [first.pk, first.pk]
    other = find_or_create_patient(name="Maria Álvarez", email="jose@example.com")
    assert other.pk != first.pk
    assert Patient.objects.filter(phone="+16175550123").count() == 41


def test_inside_the_late_cancel_window_the_link_asks_the_patient_to_call(
    client, practice
):
    practice.late_cancel_hours = 24
    practice.save()
    visit = make_visit(starts_at=timezone.now() + datetime.timedelta(hours=20))
    url = reverse("appointments:visit_cancel", args=[visit.cancel_token])

    page = client.get(url).content.decode()
    client.post(url, {"reason": "Cannot come"})

    visit.refresh_from_db()
    assert "Please call us to cancel" in page and "less than 24 hours away" in page
    assert 'href="tel:+16177202329"' in page
    assert (visit.status, Notification.objects.count()) == ("booked", 0)


def test_the_front_desk_can_add_patients_and_practitioners_see_them(staff_client):
    desk_user = make_front_desk_user()
    practitioner_user = make_front_desk_user()
    practitioner_user.groups.set([Group.objects.get(name="Practitioners")])
    add = staff_client(desk_user).post(
        reverse("admin:appointments_patient_add"),
        {
            "name": "Walk In",
            "phone": "617 555 0100",
            "email": "",
            "preferred_contact_method": "",
            "notes": "",
        },
    )
    assert add.status_code == 302
    patient = Patient.objects.get()
    assert (
        staff_client(practitioner_user).get(patient.get_admin_url()).status_code,
        staff_client(practitioner_user)
        .post(reverse("admin:appointments_patient_add"), {"name": "X"})
        .status_code,
    ) == (200, 403)


def test_bad_booking_input_gets_a_message_and_saves_nothing(desk):
    _, client = desk
    practitioner = make_practitioner()
    patient = make_patient()
    cases = [
        {"date": "2027-02-30", "time": "10:00"},
        {"date": in_days(3).date().isoformat(), "time": "25:00"},
        {"date": "2027-03-14", "time": "02:30"},
        {"date": in_days(-3).date().isoformat(), "time": "10:00"},
    ]
    statuses = [
        client.post(
            f"{reverse(BOOK)}?patient={patient.pk}",
            {
                "practitioner": practitioner.pk,
                "duration": "30",
                "source": "phone",
                **case,
            },
        ).status_code
        for case in cases
    ]
    weird = [
        client.get(f"{reverse(BOOK)}?patient=abc").status_code,
        client.get(f"{reverse(BOOK)}?request=99999999999999999999").status_code,
        client.get(reverse("admin:appointments_visit_change", args=["x1"])).status_code,
    ]
    assert statuses == [400, 400, 400, 400]
    assert weird == [404, 404, 404]
    assert Visit.objects.count() == 0


def test_scheduling_errors_say_why_a_cancelled_visit_cannot_move(desk):
    visit = make_visit(starts_at=in_days(4))
    from appointments.services.schedule import cancel_visit, reschedule_visit

    cancel_visit(visit=visit, by=desk[0])
    with pytest.raises(SchedulingError, match="A cancelled visit cannot be moved"):
        reschedule_visit(visit=visit, starts_at=in_days(5), by=desk[0])
    assert VisitChange.objects.filter(visit=visit, action="rescheduled").count() == 0
