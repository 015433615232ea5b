"""The shipped gunicorn.conf.py: workers live on (no recycling) until the memory guard retires one.

Both with the real gunicorn and the shipped file, as production runs it.
"""

import pytest

from tests.support.processes import FormClient, gunicorn_server


def booted_workers(log_path):
    return log_path.read_text().count("Booting worker with pid")


@pytest.mark.django_db(transaction=True)
def test_workers_are_not_recycled_and_the_master_holds_no_connection(
    practice, tmp_path
):
    log = tmp_path / "gunicorn.log"
    with gunicorn_server(log, workers=1, LOG_LEVEL="INFO") as server:
        for _ in range(120):
            assert FormClient().request(server + "/")[0] == 200
        assert booted_workers(log) == 1
    # Preloading imported the site in the master without connecting to the database (the
    # pre_fork hook would have said so, and closed the connection).
    assert "The preloaded app opened database connections" not in log.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_worker_over_the_memory_limit_retires_without_failing_a_request(
    practice, tmp_path
):
    log = tmp_path / "gunicorn.log"
    # Every worker is over 1 MB: each retires after its first request, once it has answered.
    with gunicorn_server(
        log, workers=1, LOG_LEVEL="INFO", GUNICORN_WORKER_MAX_RSS_MB=1
    ) as server:
        statuses = [FormClient().request(server + "/")[0] for _ in range(4)]
        assert statuses == [200] * 4
        assert booted_workers(log) >= 4
    assert "over GUNICORN_WORKER_MAX_RSS_MB: restarting it" in log.read_text()
