"""Error pages that must render with no database at all (no django_db mark: any query fails)."""

from django.db import OperationalError

from clinic.views import server_error


def test_server_error_page_renders_without_the_database(rf):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, something went wrong" in body
    assert "If this is a medical emergency, call 911." in body


def test_database_error_outside_a_view_answers_503_not_500(rf):
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert "The website is briefly unavailable" in response.content.decode()
