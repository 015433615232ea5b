"""Emails as a mail client reads them: the MIME message, not Django's attachment list."""

from email import message_from_bytes
from email.policy import default


def calendar_parts(message) -> list[dict]:
    """Each text/calendar part of a sent email: filename, the Content-Type's method parameter,
    and the file's text."""
    parsed = message_from_bytes(message.message().as_bytes(), policy=default)
    return [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "method": part.get_param("method"),
            "text": part.get_content(),
        }
        for part in parsed.walk()
        if part.get_content_type() == "text/calendar"
    ]
