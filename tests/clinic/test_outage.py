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


def run_healthcheck(base_url, allowed_hosts):
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from django.conf import settings

    return subprocess.run(
        [sys.executable, "bin/healthcheck"],
        cwd=settings.BASE_DIR,
        env=os.environ
        | {"PORT": str(urlsplit(base_url).port), "ALLOWED_HOSTS": allowed_hosts},
        capture_output=True,
        timeout=30,
    ).returncode


def test_container_healthcheck_fails_while_the_database_is_down(database_down_server):
    assert run_healthcheck(database_down_server, "127.0.0.1") == 1


def test_container_healthcheck_passes_behind_https_redirect_and_public_host_name(
    db, tmp_path
):
    from django.db import connection

    from tests.support.processes import gunicorn_server

    # As in production: only the public name is allowed and plain http is redirected.
    test_database = connection.settings_dict["NAME"]
    with gunicorn_server(
        tmp_path / "gunicorn.log",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{test_database}",
        SECURE_HTTPS="true",
        ALLOWED_HOSTS="www.example.com,example.com",
    ) as server:
        assert fetch_without_redirects(server + "/visit/") == (
            301,
            "https://www.example.com/visit/",
        )
        assert run_healthcheck(server, "www.example.com,example.com") == 0


def fetch_without_redirects(url):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path, headers={"Host": "www.example.com"})
    response = connection.getresponse()
    return response.status, response.getheader("Location")
