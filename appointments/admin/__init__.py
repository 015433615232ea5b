"""The appointments app in the admin, one module per area; importing them registers them."""

from . import audit, outbox, patients, requests, setup, visits, waitlist  # noqa: F401
