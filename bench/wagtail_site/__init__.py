"""The comparison target: the seed article as a Wagtail 8 page, as a new Wagtail site serves it.

Wagtail's own project template (`wagtail start`): its settings and middleware, a page type
with a title and a rich-text body, no cache. It runs in a virtualenv of its own
(bench/out/wagtail-venv, made by the benchmark with pip), on the bench's private PostgreSQL
(database wagtail_bench), under the same gunicorn.conf.py and number of workers as the site.
Nothing of the project imports it.
"""
