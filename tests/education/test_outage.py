"""Education pages during a database outage (real gunicorn, database port closed)."""

import urllib.error
import urllib.request

import pytest


@pytest.mark.parametrize(
    "path",
    ["/education/", "/education/neuropathic-pain/", "/education/search/?q=tingling"],
)
def test_education_pages_answer_503_while_the_database_is_down(
    database_down_server, path
):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(database_down_server + path, timeout=30)
    with error.value as response:
        body = response.read().decode()
        assert (response.status, response.headers["Retry-After"]) == (503, "30")
    assert "If this is a medical emergency, call 911." in body
    assert "Traceback" not in database_down_server.log.read_text()
