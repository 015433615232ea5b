"""Settings for the practice website, all read from the environment (see .env.example).

Defaults are the safe production choice; `make run` and `make test` supply development values.
"""

import datetime
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL used in emails, feeds and canonical links when no request is at hand.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "clinic.apps.ClinicAdminConfig",  # the admin with two-factor sign-in (Admin security below)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_tasks_db",
    "simple_history",
    "django_prose_editor",
    "phonenumber_field",
    "sorl.thumbnail",
    "import_export",
    "clinic",
    "education",
    "appointments",
]

MIDDLEWARE = [
    # Forwarded headers from anyone but our own proxies are forged: gone before anything reads
    # them (the page cache's key holds the scheme).
    "clinic.network.ForwardedHeadersMiddleware",
    # Cached public pages are answered here, before anything else runs; a hit replays the
    # headers the middleware below gave the page when it was rendered.
    "clinic.pagecache.middleware.PublicPageCacheMiddleware",
    # What no browser sends (a NUL in the query string, a header) is a 400 before any view runs.
    "clinic.middleware.MalformedRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # WhiteNoise serves static files before sessions or the database are touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database outage answers 503 with Retry-After instead of a 500.
    "clinic.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.practice",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Redis is the shared cache where CACHE_URL is set (compose, CI); otherwise a per-process cache.
# Rate-limit counters live in a cache of their own ("ratelimit", RATELIMIT_CACHE_URL, the same
# Redis by default): production gives them a Redis that never evicts, while the pages' Redis has
# a memory cap and evicts the least recently used pages (see docker-compose.yml), so a flood of
# pages can never push a counter out and reset a limit.
def _redis_cache(variable, default=""):
    if not env.str(variable, default=default):
        return None
    settings = env.cache_url_config(
        env.str(variable, default=default),
        backend="clinic.pagecache.backend.FailOpenRedisCache",
    )
    settings.setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )
    return settings


_pages_cache = _redis_cache("CACHE_URL")
CACHES = {
    "default": _pages_cache
    or {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": _redis_cache(
        "RATELIMIT_CACHE_URL", default=env.str("CACHE_URL", default="")
    )
    or {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
    },
}
# Parallel test workers (pytest-xdist) share one Redis: each gets its own key space.
for _cache in CACHES.values():
    _cache["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="clinic") + env.str(
        "PYTEST_XDIST_WORKER", default=""
    )
RATELIMIT_USE_CACHE = "ratelimit"

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Mail: Django 6.1's MAILERS, configured from one URL (smtp://user:pass@host:587, consolemail://).
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": (
            {
                "host": _email["EMAIL_HOST"],
                "port": _email["EMAIL_PORT"] or 25,
                "username": _email["EMAIL_HOST_USER"] or None,
                "password": _email["EMAIL_HOST_PASSWORD"] or None,
                "use_tls": _email.get("EMAIL_USE_TLS", False),
                "use_ssl": _email.get("EMAIL_USE_SSL", False),
                "timeout": env.int("EMAIL_TIMEOUT", default=10),
            }
            if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Where staff notifications go when the practice record has no email address.
FRONT_DESK_EMAIL = env.str("FRONT_DESK_EMAIL", default="")

# Security. SECURE_HTTPS=false only for local development over plain http.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=True)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Health checks (the container's, a load balancer's) ask over plain http from inside; /healthz
# says only whether the database answers, so it needs no redirect, and no forged header.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
# Believed only from TRUSTED_PROXIES (clinic.network.ForwardedHeadersMiddleware drops it otherwise).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
if SECURE_HTTPS:
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Admin security --------------------------------------------------------------------------
# Staff sign in with a password plus a 6-digit code from an authenticator app (django-otp TOTP,
# enforced by clinic.admin_site.ClinicAdminSite); README "Staff accounts" explains the set-up.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "axes"]
# OTPMiddleware reads the verified device from the session, so it follows AuthenticationMiddleware;
# AxesMiddleware turns a lockout into its 429 page and belongs last.
MIDDLEWARE += ["django_otp.middleware.OTPMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A hard-to-guess admin path keeps most password-guessing bots away (robots.txt never names it).
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"


# The label the authenticator app shows: the practice's name, from its record (so a callable).
def OTP_TOTP_ISSUER(device):
    from clinic.staff_accounts import totp_issuer

    return totp_issuer(device)


# The admin's device pages never show a key or QR code: only the set-up link enrols a phone.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A staff member's set-up link (clinic/staff_accounts.py) works once, for this many hours. It is
# the site's only password reset, so Django's reset timeout is the link's.
PASSWORD_RESET_TIMEOUT = env.int("STAFF_SETUP_LINK_HOURS", default=24) * 3600

# Wrong passwords and wrong codes pause signing in (HTTP 429) for 15 minutes after 5 for one
# username from one address, 20 for one username from anywhere, or 20 from one address for any
# usernames (clinic/signin.py: StaffLockoutHandler, LOCKOUT_LIMITS).
# Attempts live in the database, not the cache: the cache fails open when Redis is down, which
# would silently lift the lock; the database is shared by every worker and visible to staff in
# the admin ("Access attempts"), where a superuser can lift a lock early by deleting the row.
AXES_HANDLER = "clinic.signin.StaffLockoutHandler"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clinic.signin.locked_out"
# Never written to the log or the attempts' records in clear.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# The same client address as the rate limits (TRUSTED_PROXIES below, IPv6 by its /64): behind
# a proxy, a lockout by REMOTE_ADDR would lock the staff member out from everywhere.
AXES_CLIENT_IP_CALLABLE = "clinic.network.client_ip"
# Argon2 for new and upgraded hashes; the others only verify older hashes (then upgrade them).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Only staff have sessions. One left open on the front-desk computer ends after this many idle
# minutes (every request restarts the clock) or when the browser closes.
SESSION_COOKIE_AGE = env.int("STAFF_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# The database store, with one query per save instead of three or four (clinic/sessions.py).
SESSION_ENGINE = "clinic.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# --- end of Admin security ---------------------------------------------------------------------

PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Backups (manage.py backup / restore, clinic/backups/): restic reads the repository and its
# passphrase from these; there is deliberately no default passphrase. The passphrase file wins
# over the passphrase when both are set, as in restic itself.
RESTIC_REPOSITORY = env.str("RESTIC_REPOSITORY", default="")
RESTIC_PASSWORD_FILE = env.str("RESTIC_PASSWORD_FILE", default="")
RESTIC_PASSWORD = env.str("RESTIC_PASSWORD", default="")
# Snapshots kept after each successful backup (restic forget --keep-daily/weekly/monthly).
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=14)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=8)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
# Where the database dump waits before it goes into the repository (default: the system's
# temporary directory); it needs room for the uncompressed dump (restic compresses).
BACKUP_STAGING_DIR = env.str("BACKUP_STAGING_DIR", default="")
# The admin home warns superusers when the last good backup is older than this (a daily job
# has two hours' slack).
BACKUP_MAX_AGE_HOURS = env.int("BACKUP_MAX_AGE_HOURS", default=26)

# Appointment and contact requests: the notification outbox (see appointments/outbox/delivery.py).
# A "sending" notification whose worker has been silent this long is taken over by another;
# it must exceed the mail timeout so that a slow send is not delivered twice.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# Failed sends are retried after base, 2×base, 4×base… seconds, capped at one hour.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
# How often the worker sweeps for notifications whose delivery task was lost.
OUTBOX_SWEEP_SECONDS = env.int("OUTBOX_SWEEP_SECONDS", default=60)
# Spam checks on the public forms: a person needs at least this long to fill one in.
REQUEST_MIN_FILL_SECONDS = env.int("REQUEST_MIN_FILL_SECONDS", default=3)
# Per-client limits on the public forms, counted in the shared cache (Redis) so that they hold
# across gunicorn workers and app servers. New submissions are limited tightly; all posts (also
# ones with errors) loosely, so that a patient correcting mistakes is not locked out.
REQUEST_RATE_LIMIT = env.str("REQUEST_RATE_LIMIT", default="5/10m")
REQUEST_POST_RATE_LIMIT = env.str("REQUEST_POST_RATE_LIMIT", default="30/10m")
# Times one client address may hold through online booking (each keeps a slot from others).
ONLINE_HOLD_RATE_LIMIT = env.str("ONLINE_HOLD_RATE_LIMIT", default="3/d")
# Readers' "Is this page useful?" answers and notes, per client address.
FEEDBACK_RATE_LIMIT = env.str("FEEDBACK_RATE_LIMIT", default="20/10m")
# Fail open: while Redis is down a patient's request is worth more than the throttle; the
# honeypot and the fill-time check still stop most bots.
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)
RATELIMIT_IP_META_KEY = "clinic.network.client_ip"
# Addresses or networks of the reverse proxies in front of the site (e.g. 10.0.0.5 or
# 172.16.0.0/12). X-Forwarded-For and X-Forwarded-Proto are believed only from these; leave empty
# without a proxy: the headers are then forgeable and REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
