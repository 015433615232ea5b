# The site's production image: gunicorn serving Django, static files collected at build time and
# served by WhiteNoise. The same image runs the background worker (`manage.py db_worker`) and the
# backups (`manage.py backup`).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app clinic
# For `manage.py backup` and `restore` (compose's backup service): PostgreSQL's client tools,
# restic, and ssh for SFTP repositories. Debian's client tools are those of its release (15 on
# bookworm, 17 on trixie); pg_dump reads older servers, and the backup refuses to run against a
# server newer than its pg_dump, naming the package that would fix it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client restic openssh-client \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic reads settings, which insist on these; nothing connects to a database here.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/media /backups && chown clinic /app/media /backups

USER clinic
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "bin/healthcheck"]
# gunicorn.conf.py preloads the app: restart the container to deploy new code (a SIGHUP would
# re-fork workers from the code the master already holds).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "clinic.wsgi"]
