"""Measurements taken inside Django against the bench database and cache (run as a subprocess).

python -m bench.probe queries '<json list of paths>'   SQL queries per page, on a cache miss and
                                                       on a hit, with response bytes
python -m bench.probe submission '<form path>'         SQL queries of one request submission
python -m bench.probe article-constancy                queries of article pages with the fewest
                                                       and the most references/topics/related
python -m bench.probe book-visits                      an owner (superuser), a practitioner and
                                                       visits next week, for the disk-lost fault
python -m bench.probe schedule-page '<monday>'         the admin's week schedule as the owner sees it
python -m bench.probe online-booking '<count>'         the open-times page's path and its queries,
                                                       and `count` details pages of distinct
                                                       open times, for the hold submissions
Prints one JSON document on stdout.
"""

import gzip
import json
import sys
import time

import django


def flush_cache():
    from django.core.cache import cache

    # The bench owns its Redis server, so flushing it disturbs nobody.
    cache.clear()


def measure(client, path, **extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    content = (
        response.content
        if not response.streaming
        else b"".join(response.streaming_content)
    )
    return {
        "status": response.status_code,
        "queries": len(queries),
        "sql": [q["sql"][:300] for q in queries.captured_queries],
        "bytes": len(content),
        "gzip_bytes": len(gzip.compress(content, compresslevel=6)),
        "headers": dict(response.items()),
    }


def warm_others(client, path):
    """Fill the shared lookups (practice record, cache state) through other pages, not `path`."""
    from bench.seed import article_extremes

    extremes = article_extremes()
    others = ["/"] + [article.get_absolute_url() for _, article, _ in extremes]
    for other in others:
        if other != path:
            client.get(other)


def queries(paths):
    """Per page: cold (empty cache), miss (only this page uncached) and hit."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    results = {}
    for path in paths:
        flush_cache()
        cold = measure(client, path)
        flush_cache()
        warm_others(client, path)
        miss = measure(client, path)
        hit = measure(client, path)
        results[path] = {"cold": cold, "miss": miss, "hit": hit}
    return results


def submission(form_path):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.load import fill_form, parse_post_form

    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    response = client.get(form_path)
    form = parse_post_form(response.content.decode())
    if form is None:
        return {
            "error": f"no form with a CSRF token at {form_path} ({response.status_code})"
        }
    data = dict(fill_form(form, 999_999))
    fill_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 0
    if fill_seconds:
        import time

        time.sleep(fill_seconds)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(form["action"] or form_path, data)
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "queries": len(captured),
        "sql": [q["sql"][:300] for q in captured.captured_queries],
    }


def article_constancy():
    from django.test import Client

    from bench.seed import article_extremes

    client = Client(HTTP_HOST="127.0.0.1")
    results = []
    for label, article, counts in article_extremes():
        flush_cache()
        client.get("/")
        client.get("/education/")
        measured = measure(client, article.get_absolute_url())
        results.append(
            {
                "label": label,
                "path": article.get_absolute_url(),
                "counts": counts,
                "status": measured["status"],
                "queries": measured["queries"],
                "sql": measured["sql"],
            }
        )
    return results


def edit_article(slug):
    """What staff do in the admin: change an article's title and save it."""
    from django.apps import apps

    Article = apps.get_model("education", "Article")
    article = Article.objects.get(slug=slug)
    marker = f"edited {time.time_ns()}"
    old_title = article.title
    article.title = f"{article.title.split(' (edited')[0]} ({marker})"
    article.save()
    return {"marker": marker, "old_title": old_title}


def schedule_article(seconds):
    """A published article whose publish date is `seconds` from now."""
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    Article = apps.get_model("education", "Article")
    stamp = time.time_ns()
    article = Article.objects.create(
        title=f"Scheduled by the bench {stamp}",
        slug=f"bench-scheduled-{stamp}",
        summary="An article published on a schedule.",
        body="<p>Scheduled article body.</p>",
        status="published",
        publish_at=timezone.now() + timedelta(seconds=seconds),
    )
    return {
        "path": article.get_absolute_url(),
        "title": article.title,
        "publish_at": article.publish_at.timestamp(),
    }


OWNER = "bench-owner"


def book_visits():
    """What the front desk would have booked: three visits next week, and the owner's account."""
    import datetime

    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    Patient = apps.get_model("appointments", "Patient")
    Practitioner = apps.get_model("appointments", "Practitioner")
    Visit = apps.get_model("appointments", "Visit")
    owner, _ = get_user_model().objects.get_or_create(
        username=OWNER, defaults={"is_staff": True, "is_superuser": True}
    )
    TOTPDevice.objects.get_or_create(user=owner, name="bench", confirmed=True)
    practitioner, _ = Practitioner.objects.get_or_create(name="Robin Lee")
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    for offset, hour in [(0, 9), (0, 14), (2, 10)]:
        patient = Patient.objects.create(
            name=f"Bench Patient {offset}{hour}",
            phone="+16175550123",
            preferred_contact_method="phone",
        )
        Visit(
            patient=patient,
            practitioner=practitioner,
            source="phone",
            starts_at=timezone.make_aware(
                datetime.datetime.combine(
                    monday + datetime.timedelta(days=offset), datetime.time(hour)
                )
            ),
        ).save()
    visits = Visit.objects.booked()
    return {
        "monday": monday.isoformat(),
        "visits": visits.count(),
        "visit_urls": [visit.get_admin_url() for visit in visits],
    }


def schedule_page(monday):
    """The week schedule in the admin, fetched as the owner (signed in with the second factor)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    owner = get_user_model().objects.get(username=OWNER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=owner).persistent_id
    session.save()
    response = client.get(
        f"{reverse('admin:appointments_visit_schedule')}?date={monday}&span=week"
    )
    return {"status": response.status_code, "html": response.content.decode()}


def online_booking(count):
    """The open-times page of the bench's visit type, its SQL queries (a year of visits in the
    schedule), and the details pages of the first `count` open times, one per hold."""
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from appointments.models import VisitType
    from appointments.services.open_times import open_times
    from bench.seed import BENCH_VISIT_TYPE

    visit_type = VisitType.objects.filter(name=BENCH_VISIT_TYPE).first()
    if visit_type is None:
        return {"error": "no bench visit type (bench.seed did not run?)"}
    query = {"patient_type": "new", "visit_type": visit_type.pk}
    times_path = f"{reverse('appointments:online_booking_times')}?{urlencode(query)}"
    client = Client(HTTP_HOST="127.0.0.1")
    client.get(times_path)  # the practice record and the page cache state cached
    with CaptureQueriesContext(connection) as captured:
        response = client.get(times_path)
    details = reverse("appointments:online_booking_details")
    keys = [t.key for t in open_times(visit_type=visit_type)][:count]
    return {
        "times_path": times_path,
        "status": response.status_code,
        "queries": len(captured),
        "visits": visit_type.visits.count(),
        "details_paths": [f"{details}?{urlencode({**query, 'time': k})}" for k in keys],
    }


def main():
    django.setup()
    command = sys.argv[1]
    if command == "queries":
        result = queries(json.loads(sys.argv[2]))
    elif command == "submission":
        result = submission(sys.argv[2])
    elif command == "article-constancy":
        result = article_constancy()
    elif command == "edit-article":
        result = edit_article(sys.argv[2])
    elif command == "schedule-article":
        result = schedule_article(float(sys.argv[2]))
    elif command == "book-visits":
        result = book_visits()
    elif command == "online-booking":
        result = online_booking(int(sys.argv[2]))
    elif command == "schedule-page":
        result = schedule_page(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()
