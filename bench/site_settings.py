"""The production settings, with the one change a single-machine load test needs.

All bench traffic comes from 127.0.0.1, so per-client rate limits would turn the load test into
a test of the rate limiter: they are switched off here, and only here.
"""

from clinic.settings import *  # noqa: F403

RATELIMIT_ENABLE = False
