"""Tests of the rate limits, started where a counting window cannot end under them."""

import time

from django_ratelimit.core import _get_window


def start_well_inside_the_rate_limit_window(*addresses, period=600, margin=20):
    """django-ratelimit counts in fixed windows (per address, with a jitter): a window that ends
    in the middle of a test restarts its count. Wait out any window with less than `margin`
    seconds left."""
    for address in addresses:
        ends_at = _get_window(address, period)
        if ends_at - time.time() < margin:
            while time.time() <= ends_at:
                time.sleep(0.1)
