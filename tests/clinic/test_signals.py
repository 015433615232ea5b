"""Staff edits to the practice's hours and closures reach every cached page on the next request.

Every page's footer lists them, an article's as much as the practice's own pages, so
clinic/signals.py tells the page cache whichever app a page belongs to.
"""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinic.models import Practice
from tests.factories import make_article, make_closure, make_opening_hours

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["visit", "article"])
@pytest.mark.parametrize("edit", ["hours changed", "closure added", "closure removed"])
def test_hours_and_closures_show_on_the_very_next_request_to_a_cached_page(
    client, practice, page, edit
):
    make_opening_hours(practice, weekdays=[0], opens="09:00", closes="17:00")
    thanksgiving = datetime.date(timezone.localdate().year + 1, 11, 26)
    if edit == "closure removed":
        closure = make_closure(
            practice, thanksgiving, public_note="Closed for Thanksgiving"
        )
    url = reverse("visit") if page == "visit" else make_article().get_absolute_url()
    miss, hit = client.get(url), client.get(url)
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")

    if edit == "hours changed":
        hours = practice.opening_hours.get()
        hours.closes_at = datetime.time(12, 0)
        hours.save()
        text, before, after = "9:00 AM – 12:00 PM", False, True
    elif edit == "closure added":
        make_closure(practice, thanksgiving, public_note="Closed for Thanksgiving")
        text, before, after = "Closed for Thanksgiving", False, True
    else:
        closure.delete()
        text, before, after = "Closed for Thanksgiving", True, False

    response = client.get(url)
    assert (response["X-Cache"], text in hit.content.decode()) == ("miss", before)
    assert (text in response.content.decode()) == after


@pytest.mark.django_db(transaction=True)
def test_the_practice_record_read_while_a_staff_edit_commits_is_not_kept(practice):
    """The admin saves in a transaction: a patient's request served meanwhile reads the old
    record from the database and caches it. Once the edit commits, pages show the new phone."""
    Practice.get_current()

    def another_request():
        try:
            Practice.get_current()
        finally:
            connection.close()

    with transaction.atomic():
        practice.phone = "+16175550142"
        practice.save()
        reader = threading.Thread(target=another_request)
        reader.start()
        reader.join()

    assert Practice.get_current().phone.as_e164 == "+16175550142"


def test_each_caller_gets_its_own_copy_of_the_kept_practice_record(practice):
    # Each process keeps the record; a view that changes its copy must not change the next one's.
    first = Practice.get_current()
    first.name = "Changed by one request only"
    second = Practice.get_current()
    assert second is not first
    assert second.name == practice.name


@pytest.mark.parametrize("edit", ["phone changed", "hours added", "closure added"])
def test_an_edit_shows_on_the_next_read_of_the_kept_practice_record(practice, edit):
    Practice.get_current()
    Practice.get_current()  # now answered from this process's copy
    if edit == "phone changed":
        practice.phone = "+16175550142"
        practice.save()
    elif edit == "hours added":
        make_opening_hours(practice, weekdays=[2], opens="08:00", closes="12:00")
    else:
        make_closure(practice, datetime.date(2031, 7, 4), public_note="Closed July 4")
    current = Practice.get_current()
    if edit == "phone changed":
        assert current.phone.as_e164 == "+16175550142"
    elif edit == "hours added":
        assert [h.weekday for h in current.opening_hours.all()] == [2]
    else:
        assert [c.public_note for c in current.closures.all()] == ["Closed July 4"]
