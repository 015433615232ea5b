import pytest
from django.core.management import call_command

from clinic.models import Practice

pytestmark = pytest.mark.django_db


def test_seed_loads_the_practice_contact_block_exactly():
    call_command("load_seed")
    practice = Practice.objects.get()
    assert (
        practice.practitioner_display_name,
        practice.street_address,
        practice.neighbourhood,
        practice.locality_line,
        practice.phone_e164,
        practice.email,
        list(practice.opening_hours.all()),
    ) == (
        "Dr. Jeffrey I. Kennis, D.C.",
        "205 Commercial St",
        "North End",
        "Boston, MA 02109",
        "+16177202329",
        "",
        [],
    )


def test_seed_twice_keeps_staff_edits():
    call_command("load_seed")
    Practice.objects.update(email="frontdesk@example.com")
    call_command("load_seed")
    assert list(Practice.objects.values_list("email", flat=True)) == [
        "frontdesk@example.com"
    ]
