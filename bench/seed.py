"""Seed the bench database with a realistic volume, fast (bulk inserts).

python -m bench.seed   (with the bench environment; after `manage.py load_seed`)

- 500+ published articles of ~1,500 words built from the seed article's own sentences, with
  headings, lists, topics, references and related articles in varying numbers, so that the
  query counts can be compared between the leanest and the richest article;
- 10,000 past appointment requests over the last two years, with their sent notifications.
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
    try:
        from education import models as education
    except ImportError:
        return
    if not hasattr(education, "Article"):
        stdout.write("education.Article does not exist yet: no articles seeded\n")
        return
    seed_education(education, stdout)


def seed_education(education, stdout):
    raise NotImplementedError  # filled in once the articles issue lands


def article_extremes():
    """[(label, article, counts)] for the leanest and the richest published article."""
    return []


def main():
    django.setup()
    started = time.monotonic()
    seed_articles(sys.stdout)
    seed_requests(sys.stdout)
    sys.stdout.write(f"seeded in {time.monotonic() - started:.1f}s\n")


if __name__ == "__main__":
    main()
