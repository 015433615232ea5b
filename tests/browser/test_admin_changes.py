"""Admin pages the security work changed, in Chromium: the request list's Export button (a POST),
the notifications list's "Send again now", the practice record's retention field."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from appointments.models import AccessRecord, Notification
from tests.browser.admin_pages import overflow_at_phone_width, sign_in, tab_to
from tests.factories import (
    make_appointment_request,
    make_front_desk_user,
    make_staff_user,
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


def test_notifications_send_again_and_the_practice_retention_field_by_keyboard(
    page, practice, assert_accessible, assert_valid_html
):
    owner = make_staff_user(is_superuser=True)
    sign_in(page, owner, totp_code(make_totp_device(owner)))
    failed = Notification.objects.create(
        appointment_request=make_appointment_request(),
        kind="staff_new_request",
        recipient="desk@example.com",
        status="failed",
        attempts=12,
    )

    page.goto("/admin/appointments/notification/")
    assert_accessible(page)
    pages = [page.content()]
    tab_to(page, f"input[name=_selected_action][value='{failed.pk}']")
    page.keyboard.press("Space")
    page.get_by_label("Action:").select_option(label="Send again now")
    tab_to(page, "button[name=index]")
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text(
        "1 notification(s) will be sent again."
    )
    failed.refresh_from_db()
    assert failed.attempts == 0

    page.goto(f"/admin/clinic/practice/{practice.pk}/change/")
    field = page.get_by_label("Keep requests and messages for (days)")
    expect(field).to_be_visible()
    assert (
        "last worked on"
        in page.locator("#id_request_retention_days_helptext").inner_text()
    )
    assert_accessible(page)
    assert overflow_at_phone_width(page) == 0
    tab_to(page, "#id_request_retention_days")
    page.keyboard.type("90")
    tab_to(page, "input[name=_save]")
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_be_visible()
    practice.refresh_from_db()
    assert practice.request_retention_days == 90
    # The markup the server sent: once loaded, the browser's DOM of the inlines' management
    # forms carries autocomplete attributes added client-side, which the checker refuses.
    pages.append(page.request.get(page.url).text())
    assert_valid_html(*pages)
