"""The site during a database outage, served by real gunicorn with its database port closed."""

import urllib.error
import urllib.request


def fetch(url):
    try:
        response = urllib.request.urlopen(url, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.status, response.headers, response.read().decode()


def test_pages_answer_503_with_retry_after_while_the_database_is_down(
    database_down_server,
):
    for path in ["/", "/visit/", "/privacy/", "/no-such-page/"]:
        status, headers, body = fetch(database_down_server + path)
        assert (status, headers["Retry-After"], headers["Cache-Control"]) == (
            503,
            "30",
            "no-store",
        ), path
        assert "The website is briefly unavailable" in body, path
        assert "If this is a medical emergency, call 911." in body, path
    assert "Traceback" not in database_down_server.log.read_text()


def test_healthz_answers_503_while_the_database_is_down(database_down_server):
    status, headers, body = fetch(database_down_server + "/healthz")
    assert (status, headers["Retry-After"], body) == (
        503,
        "30",
        '{"database": "unavailable"}',
    )


def test_outage_page_keeps_its_stylesheet(database_down_server):
    status, _, body = fetch(database_down_server + "/")
    stylesheet = body.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert fetch(database_down_server + stylesheet)[0] == 200


def test_access_log_has_paths_but_never_query_strings(database_down_server):
    fetch(database_down_server + "/visit/?name=Jane+Doe")
    log = database_down_server.log.read_text()
    assert '"GET /visit/ HTTP/1.1" 503' in log
    assert "Jane" not in log
