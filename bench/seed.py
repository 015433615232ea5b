"""Seed the bench database with a realistic volume, fast (bulk inserts).

python -m bench.seed   (with the bench environment; after `manage.py load_seed`)

- 500+ published articles of ~1,500 words built from the seed article's own sentences, with
  headings, lists, topics, references and related articles in varying numbers, so that the
  query counts can be compared between the leanest and the richest article;
- 10,000 past appointment requests over the last two years, with their sent notifications;
- online booking switched on (hold then confirm, a year ahead), opening hours Monday to Friday
  9:00-17:00, one practitioner, a 30-minute visit type patients may book online, and a year of
  booked visits ahead (every other half hour of every working day: 8 a day, ~2,000 in all), so
  the open-times page is measured against a full year of the schedule.
"""

import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

import django

ARTICLES = 500
PAST_REQUESTS = 10_000
VISITS_PER_DAY = 8
BENCH_VISIT_TYPE = "Bench visit"
SEED_TEXT = Path(__file__).resolve().parent.parent / "seed" / "neuropathic-pain.txt"


def sentences():
    text = SEED_TEXT.read_text(encoding="utf-8")
    found = re.findall(r"[A-Z][^.!?\n]{30,300}[.!?]", text)
    return [s.strip() for s in found]


TOPICS = [
    "Neuropathy",
    "Back pain",
    "Neck pain",
    "Sciatica",
    "Nerve pain",
    "Posture",
    "Exercise",
    "Diabetes and nerves",
    "Sleep",
    "Headaches",
    "Arthritis",
    "Treatment options",
]
HEADINGS = [
    "What it feels like",
    "Why it happens",
    "Who is at risk",
    "How it is diagnosed",
    "Treatment options",
    "What you can do at home",
    "When to see a doctor",
    "Outlook",
    "Living with chronic pain",
    "Questions to ask",
]


def article_body(rng, pool, words=1500):
    parts, count = [], 0
    headings = rng.sample(HEADINGS, 7)
    for index, heading in enumerate(headings):
        parts.append(f"<h2>{heading}</h2>")
        for _ in range(3):
            paragraph = " ".join(rng.sample(pool, 4))
            count += len(paragraph.split())
            parts.append(f"<p>{paragraph}</p>")
        if index % 3 == 1:
            items = rng.sample(pool, 4)
            count += sum(len(i.split()) for i in items)
            parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
        if count >= words:
            break
    while count < words:
        paragraph = " ".join(rng.sample(pool, 4))
        count += len(paragraph.split())
        parts.append(f"<p>{paragraph}</p>")
    return "\n".join(parts)


def seed_requests(stdout):
    from django.utils import timezone

    from appointments.models import (
        AppointmentRequest,
        ContactMethod,
        Notification,
        NotificationKind,
        NotificationStatus,
        PatientType,
        Reason,
        RequestStatus,
        new_reference,
    )

    if AppointmentRequest.objects.count() >= PAST_REQUESTS:
        return
    rng = random.Random(6)
    now = timezone.now()
    references = set()
    while len(references) < PAST_REQUESTS:
        references.add(new_reference())
    requests = []
    statuses = [s for s in RequestStatus.values if s != RequestStatus.SPAM]
    for index, reference in enumerate(sorted(references)):
        created = now - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
        requests.append(
            AppointmentRequest(
                reference=reference,
                patient_type=rng.choice(PatientType.values),
                reason=rng.choice(Reason.values),
                note="Past request seeded by the benchmark.",
                preferred_weekdays=sorted(rng.sample(range(5), rng.randint(0, 3))),
                preferred_times_of_day=["morning"],
                name=f"Past Patient {index}",
                phone=f"+1617555{index % 10000:04d}",
                email=f"past{index}@bench.invalid",
                preferred_contact_method=ContactMethod.PHONE,
                has_acknowledged_privacy_notice=True,
                has_consented_to_contact=True,
                status=rng.choice(statuses),
                created_at=created,
            )
        )
    AppointmentRequest.objects.bulk_create(requests, batch_size=2000)
    notifications = [
        Notification(
            appointment_request=request,
            kind=NotificationKind.STAFF_NEW_REQUEST,
            recipient="frontdesk@bench.invalid",
            status=NotificationStatus.SENT,
            attempts=1,
            sent_at=request.created_at,
            created_at=request.created_at,
            next_attempt_at=request.created_at,
        )
        for request in requests
    ]
    Notification.objects.bulk_create(notifications, batch_size=2000)
    stdout.write(f"{len(requests)} past requests, {len(notifications)} notifications\n")


def seed_articles(stdout):
    from django.apps import apps

    try:
        education = apps.get_app_config("education").models_module
    except LookupError:
        education = None
    if education is None or not hasattr(education, "Article"):
        stdout.write("education.Article does not exist yet: no articles seeded\n")
        return
    seed_education(education, stdout)


def seed_education(education, stdout):
    from django.db import connection
    from django.utils import timezone
    from django.utils.text import slugify

    Article, Reference, RelatedArticle, Topic = (
        education.Article,
        education.Reference,
        education.RelatedArticle,
        education.Topic,
    )
    if Article.objects.filter(slug__startswith="bench-").exists():
        return
    rng = random.Random(6)
    pool = sentences()
    topics = [
        Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]
        for name in TOPICS
    ]
    now = timezone.now()
    today = timezone.localdate()
    articles = []
    for index in range(ARTICLES):
        heading = rng.choice(HEADINGS)
        topic = TOPICS[index % len(TOPICS)]
        articles.append(
            Article(
                title=f"{topic}: {heading.lower()} ({index + 1})",
                slug=f"bench-{slugify(topic)}-{index + 1}",
                summary=rng.choice(pool)[:160],
                body=article_body(rng, pool),
                status="published",
                publish_at=now - timedelta(days=rng.randint(1, 1000)),
                reviewer_name="Bench Reviewer",
                reviewer_credentials="D.C.",
                last_reviewed_on=today - timedelta(days=rng.randint(1, 300)),
                next_review_due=today + timedelta(days=rng.randint(30, 365)),
            )
        )
    Article.objects.bulk_create(articles, batch_size=100)
    # Varying numbers of references, topics and related articles, so the query counts of the
    # leanest and the richest article can be compared (article_extremes below).
    references, article_topics, related = [], [], []
    for index, article in enumerate(articles):
        for order in range(1, index % 13 + 1):
            references.append(
                Reference(
                    article=article,
                    order=order,
                    authors="Colloca L, Ludman T, Bouhassira D, et al.",
                    title=f"Neuropathic pain, part {order}",
                    journal="Nat Rev Dis Primers",
                    year=2017,
                    volume="3",
                    pages=str(17002 + order),
                    doi=f"10.1038/bench.{index}.{order}",
                )
            )
        for offset in range(1 + index % 4):
            article_topics.append(
                Article.topics.through(
                    article_id=article.pk,
                    topic_id=topics[(index + offset) % len(topics)].pk,
                )
            )
        for offset in range(index % 6):
            related.append(
                RelatedArticle(
                    from_article=article,
                    to_article=articles[(index + 1 + offset) % len(articles)],
                    order=offset,
                )
            )
    Reference.objects.bulk_create(references, batch_size=2000)
    Article.topics.through.objects.bulk_create(article_topics, batch_size=2000)
    RelatedArticle.objects.bulk_create(related, batch_size=2000)
    with connection.cursor() as cursor:
        # What Article.update_search_vector() computes one article at a time, in one statement.
        cursor.execute(
            "UPDATE education_article SET search_vector = "
            "setweight(to_tsvector('english', title), 'A') || "
            "setweight(to_tsvector('english', summary), 'B') || "
            "setweight(to_tsvector('english', regexp_replace(body, '<[^>]+>', ' ', 'g')), 'C') "
            "WHERE slug LIKE 'bench-%%'"
        )
    words = sum(len(a.body.split()) for a in articles) // len(articles)
    stdout.write(
        f"{len(articles)} articles (~{words} words each), {len(references)} references, "
        f"{len(article_topics)} article topics, {len(related)} related links; "
    )
    from django.core.cache import cache

    cache.clear()


def article_extremes():
    """[(label, article, counts)] for the leanest and the richest published article."""
    from django.apps import apps
    from django.db.models import Count

    Article = apps.get_model("education", "Article")

    annotated = (
        Article.objects.published()
        .filter(slug__startswith="bench-")
        .annotate(
            n_references=Count("references", distinct=True),
            n_topics=Count("topics", distinct=True),
            n_related=Count("related_links", distinct=True),
        )
    )
    result = []
    for label, order in (("leanest", "n_references"), ("richest", "-n_references")):
        article = annotated.order_by(
            order, "n_topics" if label == "leanest" else "-n_topics"
        ).first()
        if article:
            counts = (
                f"{article.n_references} references, {article.n_topics} topics, "
                f"{article.n_related} related"
            )
            result.append((label, article, counts))
    return result


def seed_schedule(stdout):
    import datetime

    from django.utils import timezone

    from appointments.models import (
        Patient,
        Practitioner,
        Visit,
        VisitType,
        new_reference,
    )
    from clinic.models import OnlineBooking, OpeningHours, Practice

    if VisitType.objects.filter(name=BENCH_VISIT_TYPE).exists():
        return
    practice = Practice.objects.get()
    for weekday in range(5):
        OpeningHours.objects.create(
            practice=practice,
            weekday=weekday,
            opens_at=datetime.time(9),
            closes_at=datetime.time(17),
        )
    practice.online_booking = OnlineBooking.HOLD
    practice.hold_hours = 24
    practice.online_booking_horizon_days = 366
    practice.save()
    practitioner = Practitioner.objects.create(name="Bench Practitioner")
    visit_type = VisitType.objects.create(
        name=BENCH_VISIT_TYPE, duration_minutes=30, is_bookable_online=True
    )
    length = datetime.timedelta(minutes=30)
    patients = Patient.objects.bulk_create(
        Patient(name=f"Bench Visit Patient {n}", phone=f"+1617556{n:04d}")
        for n in range(500)
    )
    today = timezone.localdate()
    visits = []
    # Distinct references drawn up front, as for the requests: 2,096 random ones collide about
    # one run in fifteen (33 million values), and a collision lost the whole schedule.
    references = set()
    while len(references) < 366 * VISITS_PER_DAY:
        references.add(new_reference())
    references = sorted(references)
    for offset in range(1, 367):
        day = today + datetime.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for slot in range(VISITS_PER_DAY):
            starts_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(9 + slot))
            )
            visits.append(
                Visit(
                    reference=references[len(visits)],
                    patient=patients[len(visits) % len(patients)],
                    practitioner=practitioner,
                    visit_type=visit_type,
                    source="phone",
                    starts_at=starts_at,
                    duration=length,
                    ends_at=starts_at + length,
                    blocked_until=starts_at + length,
                )
            )
    Visit.objects.bulk_create(visits, batch_size=1000)
    stdout.write(f"Schedule: a year ahead, {len(visits)} booked visits\n")


def main():
    django.setup()
    started = time.monotonic()
    seed_articles(sys.stdout)
    seed_requests(sys.stdout)
    seed_schedule(sys.stdout)
    sys.stdout.write(f"seeded in {time.monotonic() - started:.1f}s\n")


if __name__ == "__main__":
    main()
