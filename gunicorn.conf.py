"""Gunicorn settings for production (Dockerfile, docker-compose.yml), the tests and the bench.

Sync workers: every request is short and database-bound, and sync workers are the simplest to
reason about. Put a reverse proxy (TLS, slow clients, buffering) in front.

These settings are the ones measured: `make bench` and `make faults` run this file unchanged
(bench/README.md). Two choices make them fast under load:

- preload_app: the master imports Django, the URLconf, the templates' modules and WhiteNoise's
  file index once, and every worker is a fork of it. A new worker serves at once (no re-import,
  which takes about a second of CPU on a small machine) and the workers share those pages of
  memory. Nothing may connect to PostgreSQL or Redis at import time; the master closes any
  connection it holds before each fork anyway (pre_fork below), so no worker inherits a socket
  another process uses. A forked worker opens its own connections on its first request.
  Deploy by restarting gunicorn (compose and the Dockerfile do): with preload, a SIGHUP re-forks
  workers from the code the master already holds.
- No recycling after N requests (max_requests = 0), but a memory guard. Recycling every 1,000
  requests, as this file used to, restarted a worker every second or so at a few thousand
  requests a second, each restart a cold start that also emptied that worker's copies of the
  cached pages. What recycling guarded against, a slow leak, is caught directly: after each
  request a worker reads its own resident memory (one read of /proc/self/statm) and, past
  GUNICORN_WORKER_MAX_RSS_MB (default 400; a worker serves in about 70-120 MB), finishes the
  request and exits gracefully; the master forks a fresh one from its preloaded copy.
"""

import logging
import os
import resource

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# A request that takes 30 s is stuck; the proxy's own timeout should be a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
preload_app = True
max_requests = 0
# Resident memory past which a worker retires after its current request (see the docstring).
WORKER_MAX_RSS_BYTES = (
    int(os.environ.get("GUNICORN_WORKER_MAX_RSS_MB", "400")) * 1024 * 1024
)
# Trust X-Forwarded-Proto only from the proxy in front: by default the same TRUSTED_PROXIES the
# site believes (clinic/network.py), so that gunicorn never calls https what Django calls http.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get(
    "TRUSTED_PROXIES", ""
)
# Several servers may run on one machine (tests, compose); the runtime control socket is unused.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Path only, never the query string (it could carry search terms or tokens); no referrer either.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

_PAGE_SIZE = resource.getpagesize()
logger = logging.getLogger("gunicorn.error")


def resident_bytes():
    """This process's resident memory (RSS), from /proc/self/statm: one small read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except OSError:
        # Not Linux: the peak so far (kilobytes on Linux, bytes on macOS) is the best there is.
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def pre_fork(server, worker):
    """In the master, before each fork: no worker may inherit a database connection."""
    from django.db import connections

    opened = [c.alias for c in connections.all(initialized_only=True) if c.connection]
    if opened:
        logger.warning(
            "The preloaded app opened database connections %s; closed before forking",
            opened,
        )
    connections.close_all()


def post_request(worker, req, environ, resp):
    """The memory guard: a worker past the limit retires once this request is answered."""
    if worker.alive and resident_bytes() > WORKER_MAX_RSS_BYTES:
        logger.warning(
            "Worker %s uses %d MB, over GUNICORN_WORKER_MAX_RSS_MB: restarting it",
            worker.pid,
            resident_bytes() // (1024 * 1024),
        )
        worker.alive = False
