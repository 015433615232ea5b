"""Gunicorn settings for production (Dockerfile, docker-compose.yml) and the tests' outage server.

Sync workers: every request is short and database-bound, and sync workers are the simplest to
reason about. Put a reverse proxy (TLS, slow clients, buffering) in front.
"""

import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# A request that takes 30 s is stuck; the proxy's own timeout should be a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take the site down.
max_requests = 1000
max_requests_jitter = 100
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
