import datetime
import uuid
import zoneinfo

import pytest
from django.core.cache import cache

from appointments.forms import AppointmentRequestForm, ContactMessageForm
from clinic.models import Practice
from tests.factories import (
    appointment_request_data,
    contact_message_data,
    make_form_stamp,
    make_opening_hours,
)

pytestmark = pytest.mark.django_db

BOSTON = zoneinfo.ZoneInfo("America/New_York")


def boston(*args):
    return datetime.datetime(*args, tzinfo=BOSTON)


def current(practice):
    """The practice as the views see it (with its hours and closures loaded)."""
    cache.clear()
    return Practice.get_current()


def request_form(practice=None, now=None, **overrides):
    form = AppointmentRequestForm(
        appointment_request_data(**overrides),
        practice=practice,
        now=now or boston(2026, 10, 20, 10, 0),
    )
    form.is_valid()
    return form


def test_complete_request_is_valid_and_stores_phone_in_e164():
    form = request_form(note="Numb toes for a month", preferred_date_1="2026-11-03")
    assert form.errors == {}
    assert form.submission_fields() == {
        "patient_type": "new",
        "reason": "neuropathy",
        "note": "Numb toes for a month",
        "preferred_weekdays": [],
        "preferred_times_of_day": [],
        "preferred_dates": [datetime.date(2026, 11, 3)],
        "name": "Jane Doe",
        "phone": "+16175550123",
        "email": "jane@example.com",
        "preferred_contact_method": "phone",
        "has_acknowledged_privacy_notice": True,
        "has_consented_to_contact": True,
        "source_article": None,
        "source_article_slug": "",
    }


@pytest.mark.parametrize(
    ("field", "value", "errors"),
    [
        ("patient_type", "", ["Tell us if you are a new or returning patient."]),
        (
            "patient_type",
            "vip",
            ["Select a valid choice. vip is not one of the available choices."],
        ),
        ("reason", "", ["Choose what you would like help with."]),
        (
            "note",
            "x" * 501,
            ["Keep this to 500 characters or fewer (it has 501)."],
        ),
        (
            "note",
            "a\x00b",
            ["Null characters are not allowed."],
        ),
        ("name", "", ["Enter your name."]),
        ("name", "   ", ["Enter your name."]),
        (
            "name",
            "x" * 121,
            ["Ensure this value has at most 120 characters (it has 121)."],
        ),
        ("phone", "", ["Enter a phone number we can call, like (617) 555-0123."]),
        ("phone", "123", ["Enter a phone number we can call, like (617) 555-0123."]),
        (
            "phone",
            "not a phone",
            ["Enter a phone number we can call, like (617) 555-0123."],
        ),
        ("email", "jane@", ["Enter an email address like name@example.com."]),
        ("preferred_contact_method", "", ["Choose how we should contact you."]),
        (
            "preferred_contact_method",
            "pigeon",
            ["Select a valid choice. pigeon is not one of the available choices."],
        ),
        (
            "has_acknowledged_privacy_notice",
            None,
            ["Tick this box to confirm you have read the privacy notice."],
        ),
        (
            "has_consented_to_contact",
            None,
            ["Tick this box so that we may contact you about your request."],
        ),
        (
            "preferred_weekdays",
            ["9"],
            ["Select a valid choice. 9 is not one of the available choices."],
        ),
        (
            "preferred_times_of_day",
            ["midnight"],
            ["Select a valid choice. midnight is not one of the available choices."],
        ),
        ("preferred_date_1", "someday", ["Enter a date like 11/03/2026."]),
        ("preferred_date_2", "2026-02-30", ["Enter a date like 11/03/2026."]),
    ],
)
def test_each_bad_value_gets_its_own_clear_error(field, value, errors):
    assert request_form(**{field: value}).errors == {field: errors}


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("patient_type", "returning", "returning"),
        ("reason", "neck_pain", "neck_pain"),
        ("note", "x" * 500, "x" * 500),
        ("note", "<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("name", "  Robert   O'Brien; DROP TABLE  ", "Robert O'Brien; DROP TABLE"),
        ("name", "José Ñúñez-Łukasz", "José Ñúñez-Łukasz"),
        ("phone", "617.720.2329", "+16177202329"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("email", "", ""),
        ("preferred_contact_method", "text", "text"),
        ("preferred_weekdays", ["0", "4"], [0, 4]),
        ("preferred_times_of_day", ["morning", "afternoon"], ["morning", "afternoon"]),
    ],
)
def test_good_values_are_accepted_and_stored_as_typed(field, value, stored):
    form = request_form(**{field: value})
    assert form.errors == {}
    assert form.submission_fields()[field] == stored


def test_dates_typed_the_american_way_are_understood():
    form = request_form(preferred_date_1="11/03/2026", preferred_date_2="2026-11-04")
    assert form.errors == {}
    assert form.submission_fields()["preferred_dates"] == [
        datetime.date(2026, 11, 3),
        datetime.date(2026, 11, 4),
    ]


def test_contact_by_email_needs_the_email_address():
    form = request_form(preferred_contact_method="email", email="")
    assert form.errors == {
        "email": ["Enter your email address, or choose phone or text message."]
    }


def test_the_same_date_twice_is_pointed_out():
    form = request_form(preferred_date_1="2026-11-03", preferred_date_3="2026-11-03")
    assert form.errors == {"preferred_date_3": ["You chose this date already."]}


def test_missing_or_forged_form_stamp_asks_to_send_again():
    expected = {
        "__all__": [
            "This form had expired. Please check your answers and send it again."
        ]
    }
    assert request_form(form_stamp=None).errors == expected
    assert request_form(form_stamp="forged:stamp").errors == expected


def test_form_stamp_carries_the_one_time_token():
    token = uuid.uuid4()
    form = request_form(form_stamp=make_form_stamp(token=token))
    assert form.cleaned_data["submission_token"] == token


def test_past_dates_are_refused_in_boston_time():
    # 23:30 in Boston on Oct 31 is already Nov 1 in UTC: Oct 31 is still "today" here.
    now = datetime.datetime(2026, 11, 1, 3, 30, tzinfo=datetime.UTC)
    form = request_form(
        now=now, preferred_date_1="2026-10-31", preferred_date_2="2026-10-30"
    )
    assert form.errors == {
        "preferred_date_2": ["This date has passed. Choose today or a later date."]
    }


def test_today_is_still_today_in_boston_the_night_before_spring_forward():
    now = datetime.datetime(
        2027, 3, 14, 4, 30, tzinfo=datetime.UTC
    )  # Mar 13, 23:30 EST
    form = request_form(now=now, preferred_date_1="2027-03-13")
    assert form.errors == {}


def test_closed_days_and_closures_are_refused_with_the_reason(practice):
    make_opening_hours(practice, weekdays=[0, 1, 2, 3, 4])
    practice.closures.create(
        start_date=datetime.date(2026, 11, 26),
        end_date=datetime.date(2026, 11, 27),
        public_note="Closed for Thanksgiving",
    )
    form = request_form(
        practice=current(practice),
        preferred_date_1="2026-11-26",
        preferred_date_2="2026-11-28",
        preferred_date_3="2026-11-30",
    )
    assert form.errors == {
        "preferred_date_1": [
            "We are closed on Thursday, November 26 (Closed for Thanksgiving). Choose another date."
        ],
        "preferred_date_2": ["We are not open on Saturdays. Choose another date."],
    }


def test_dates_beyond_the_horizon_are_refused(practice):
    practice.request_horizon_days = 30
    practice.save()
    form = request_form(
        practice=current(practice),
        now=boston(2026, 10, 20, 10, 0),
        preferred_date_1="2026-11-19",
        preferred_date_2="2026-11-20",
    )
    assert form.errors == {
        "preferred_date_2": [
            "We take requests up to 30 days ahead: choose Thursday, November 19, 2026 or earlier."
        ]
    }


def test_without_hours_or_limits_any_future_day_is_fine(practice):
    form = request_form(
        practice=current(practice),
        preferred_date_1="2026-10-25",
        preferred_weekdays=["6"],
        preferred_times_of_day=["afternoon"],
    )
    assert form.errors == {}


def test_minimum_notice_counts_real_hours_across_the_fall_back_change(practice):
    # Monday Nov 2, 2026 comes 25 hours after Sunday's midnight: clocks fall back on Nov 1.
    make_opening_hours(practice, weekdays=[0, 1])
    practice.request_min_notice_hours = 42
    practice.save()
    # Sat Oct 31, 23:30 EDT + 42 real hours = Mon Nov 2, 16:30 EST: before Monday's 17:00 close.
    form = request_form(
        practice=current(practice),
        now=boston(2026, 10, 31, 23, 30),
        preferred_date_1="2026-11-02",
    )
    assert form.errors == {}
    # One more hour of notice and Monday is gone.
    practice.request_min_notice_hours = 43
    practice.save()
    form = request_form(
        practice=current(practice),
        now=boston(2026, 10, 31, 23, 30),
        preferred_date_1="2026-11-02",
        preferred_date_2="2026-11-03",
    )
    assert form.errors == {
        "preferred_date_1": [
            "We need at least 43 hours’ notice: choose Monday, November 2 or later."
        ]
    }


def test_minimum_notice_counts_real_hours_across_the_spring_forward_change(practice):
    make_opening_hours(practice, weekdays=[0, 1])
    practice.request_min_notice_hours = 41
    practice.save()
    # Sat Mar 13, 2027, 23:30 EST + 41 real hours = Mon Mar 15, 17:30 EDT: after Monday's close
    # (a clock-face sum would say 16:30 and wrongly accept Monday).
    form = request_form(
        practice=current(practice),
        now=boston(2027, 3, 13, 23, 30),
        preferred_date_1="2027-03-15",
        preferred_date_2="2027-03-16",
    )
    assert form.errors == {
        "preferred_date_1": [
            "We need at least 41 hours’ notice: choose Monday, March 15 or later."
        ]
    }


def test_weekdays_and_times_must_match_the_opening_hours(practice):
    make_opening_hours(practice, weekdays=[0, 2], opens="09:00", closes="12:00")
    make_opening_hours(practice, weekdays=[4], opens="13:00", closes="18:00")
    practice = current(practice)
    form = request_form(practice=practice, preferred_weekdays=["0", "6"])
    assert form.errors == {
        "preferred_weekdays": ["We are not open on Sundays. Choose other days."]
    }
    form = request_form(
        practice=practice,
        preferred_weekdays=["0", "2"],
        preferred_times_of_day=["afternoon"],
    )
    assert form.errors == {
        "preferred_times_of_day": [
            "We are not open in the afternoon on the days you chose."
        ]
    }
    form = request_form(
        practice=practice,
        preferred_weekdays=["0", "4"],
        preferred_times_of_day=["morning", "afternoon"],
    )
    assert form.errors == {}


def test_contact_form_accepts_phone_or_email():
    for overrides in [
        {"phone": "617-555-0199", "email": ""},
        {"phone": "", "email": "sam@example.com"},
    ]:
        form = ContactMessageForm(contact_message_data(**overrides))
        assert form.errors == {}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"phone": "", "email": ""},
            {
                "phone": [
                    "Give us a phone number or an email address so that we can reply."
                ]
            },
        ),
        ({"name": ""}, {"name": ["Enter your name."]}),
        ({"message": ""}, {"message": ["Enter your message."]}),
        (
            {"message": "x" * 2001},
            {
                "message": [
                    "Keep your message to 2,000 characters or fewer (it has 2001)."
                ]
            },
        ),
        (
            {"phone": "12"},
            {"phone": ["Enter a phone number we can call, like (617) 555-0123."]},
        ),
        (
            {"email": "sam@@example"},
            {"email": ["Enter an email address like name@example.com."]},
        ),
    ],
)
def test_contact_form_errors(overrides, errors):
    assert ContactMessageForm(contact_message_data(**overrides)).errors == errors
