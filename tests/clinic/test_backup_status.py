"""The owner's backup warning on the admin home, and the list of backup runs."""

import pytest
from django.urls import reverse

from clinic.models import BackupRun
from tests.factories import make_backup_run, make_front_desk_user

pytestmark = pytest.mark.django_db


def backup_block(client):
    body = client.get(reverse("admin:index")).content.decode()
    start = body.find('<section class="module backup-status')
    return "" if start == -1 else body[start : body.index("</section>", start)]


def test_owner_is_warned_when_no_backup_has_ever_run(admin_client):
    block = backup_block(admin_client)

    assert "backup-status-warning" in block
    assert "<strong>No backup has run yet.</strong>" in block


def test_owner_is_warned_when_the_last_run_failed_and_told_the_last_good_one(
    admin_client,
):
    make_backup_run(hours_ago=30)
    make_backup_run(
        hours_ago=2,
        status=BackupRun.Status.FAILED,
        snapshot_id="",
        size_bytes=None,
        added_bytes=None,
        error="The backup repository at /backups/restic cannot be reached.",
    )

    block = backup_block(admin_client)

    assert "<strong>The last backup failed</strong>" in block
    assert "The backup repository at /backups/restic cannot be reached." in block
    assert "The last good backup is from" in block
    assert "(1\xa0day, 6\xa0hours ago)" in block


def test_a_good_backup_25_hours_old_is_fine_and_27_hours_old_is_a_warning(
    admin_client,
):
    run = make_backup_run(hours_ago=25)
    fresh = backup_block(admin_client)
    run.delete()
    make_backup_run(hours_ago=27)
    stale = backup_block(admin_client)

    assert "backup-status-warning" not in fresh
    assert "Last backup" in fresh and "12.0\xa0MB" in fresh
    assert "backup-status-warning" in stale
    assert "<strong>The last good backup is 1\xa0day, 3\xa0hours old</strong>" in stale


def test_staff_who_are_not_superusers_see_no_backup_block(staff_client):
    make_backup_run(hours_ago=50)

    assert backup_block(staff_client(make_front_desk_user())) == ""


def test_owner_reads_the_backup_runs_and_nobody_edits_them(admin_client, staff_client):
    run = make_backup_run(error="")
    url = reverse("admin:clinic_backuprun_changelist")

    listing = admin_client.get(url)
    change = admin_client.get(reverse("admin:clinic_backuprun_change", args=[run.pk]))

    assert "12.0\xa0MB" in listing.content.decode()
    assert "1a2b3c4d" in listing.content.decode()
    assert (change.status_code, change.context["has_change_permission"]) == (
        200,
        False,
    )
    assert admin_client.get(reverse("admin:clinic_backuprun_add")).status_code == 403
    assert staff_client(make_front_desk_user()).get(url).status_code == 403
