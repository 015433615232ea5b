"""Measurements taken inside Django against the bench database and cache (run as a subprocess).

python -m bench.probe queries '<json list of paths>'   SQL queries per page, on a cache miss and
                                                       on a hit, with response bytes
python -m bench.probe submission '<form path>'         SQL queries of one request submission
python -m bench.probe article-constancy                queries of article pages with the fewest
                                                       and the most references/topics/related
Prints one JSON document on stdout.
"""

import gzip
import json
import sys

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


def queries(paths):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    results = {}
    for path in paths:
        flush_cache()
        miss = measure(client, path)
        hit = measure(client, path)
        results[path] = {"miss": miss, "hit": hit}
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


def main():
    django.setup()
    command = sys.argv[1]
    if command == "queries":
        result = queries(json.loads(sys.argv[2]))
    elif command == "submission":
        result = submission(sys.argv[2])
    elif command == "article-constancy":
        result = article_constancy()
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()
