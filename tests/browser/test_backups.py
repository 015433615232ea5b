import pytest
from playwright.sync_api import expect

from clinic.models import BackupRun
from tests.factories import (
    STAFF_PASSWORD,
    make_backup_run,
    make_staff_user,
    make_totp_device,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_sees_the_failed_backup_warning_on_an_accessible_admin_home(
    page, practice, assert_accessible, assert_valid_html
):
    make_backup_run(hours_ago=30)
    make_backup_run(
        hours_ago=1,
        status=BackupRun.Status.FAILED,
        snapshot_id="",
        error="The backup repository at sftp:backup@nas:/clinic cannot be reached.",
    )
    owner = make_staff_user(is_superuser=True)
    device = make_totp_device(owner)

    page.goto("/admin/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("6-digit code from your authenticator app").fill(
        totp_code(device)
    )
    page.get_by_role("button", name="Sign in").click()

    backups = page.get_by_role("region", name="Backups")
    expect(backups).to_contain_text("The last backup failed")
    expect(backups).to_contain_text("sftp:backup@nas:/clinic cannot be reached")
    expect(backups).to_contain_text("The last good backup is from")
    assert_accessible(page)
    assert_valid_html(page.content())
    # At phone width the block stays readable without sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    backups.get_by_role("link", name="All backup runs").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert_accessible(page)
