"""Reading the hidden fields a browser would post back with a form."""

import re

# The CSRF token and the request forms' one-time stamp (a signed token: see appointments' forms).
HIDDEN_FIELDS = ("csrfmiddlewaretoken", "form_stamp")


def hidden_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def hidden_fields(html: str) -> dict:
    """{name: value} of the hidden fields a real browser would post back with the form."""
    return {name: hidden_value(html, name) for name in HIDDEN_FIELDS}


def form_stamp_in(response) -> str:
    """The one-time form stamp on a page rendered by Django's test client."""
    return hidden_value(response.content.decode(), "form_stamp")
