"""The request list's Export button in Chromium: a POST, by keyboard, valid and accessible."""

from pathlib import Path

import pytest

from appointments.models import AccessRecord
from tests.browser.admin_pages import overflow_at_phone_width, sign_in, tab_to
from tests.factories import (
    make_appointment_request,
    make_front_desk_user,
    make_totp_device,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_exports_the_filtered_list_with_the_keyboard(
    page, practice, assert_accessible, assert_valid_html
):
    desk = make_front_desk_user()
    sign_in(page, desk, totp_code(make_totp_device(desk)))
    wanted = make_appointment_request(reason="back_pain")
    make_appointment_request(reason="neck_pain")

    page.goto("/admin/appointments/appointmentrequest/?reason__exact=back_pain")
    assert_accessible(page)
    assert overflow_at_phone_width(page) == 0
    html = page.content()
    tab_to(page, "button.export_link")
    with page.expect_download() as download:
        page.keyboard.press("Enter")

    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert wanted.reference in csv and csv.count("KEN-") == 1
    assert list(AccessRecord.objects.values_list("action", "references")) == [
        ("exported", [wanted.reference])
    ]
    assert_valid_html(html)
