# The site's production image: gunicorn serving Django, static files collected at build time and
# served by WhiteNoise. The same image runs the background worker (`manage.py db_worker`).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app clinic

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic reads settings, which insist on these; nothing connects to a database here.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/media && chown clinic /app/media

USER clinic
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "bin/healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "clinic.wsgi"]
