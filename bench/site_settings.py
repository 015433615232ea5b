"""The production settings, with the one change a single-machine load test needs.

All bench traffic comes from 127.0.0.1, so per-client rate limits would turn the load test into
a test of the rate limiter: they are off here unless BENCH_RATELIMIT=on (the Redis-down fault
turns them on, to prove that a limiter without its Redis does not break the form).
"""

import os

from clinic.settings import *  # noqa: F403

RATELIMIT_ENABLE = os.environ.get("BENCH_RATELIMIT", "off") == "on"
