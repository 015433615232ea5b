import logging

from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.urls import get_resolver

from .views import database_unavailable

DATABASE_DOWN = (OperationalError, InterfaceError)
logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After, never a traceback, while the database is unreachable.

    process_exception sees errors raised by views and by template rendering (the practice
    context processor reads the database on every page). Errors raised elsewhere reach
    handler500, which makes the same decision.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request)
        return None


class MalformedRequestMiddleware:
    """Answer 400 to what no browser sends, before any view hands it to the database.

    PostgreSQL refuses text holding a NUL character, so a `%00` in a search term, a query
    parameter, a cookie or a header would otherwise surface as a server error wherever it is read
    (a view, the session, the sign-in log). RFC 9110 forbids NUL in header fields and no form
    types one; refusing the whole request is simpler and safer than cleaning each reader.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if problem := self.problem(request):
            # One line, not a traceback: scanners send these by the thousand.
            logger.warning(
                "Refused a malformed request to %s: %s", request.path, problem
            )
            handler = get_resolver().resolve_error_handler(400)
            return handler(request, BadRequest(problem))
        return self.get_response(request)

    @staticmethod
    def problem(request):
        if "\x00" in request.path_info:
            return "NUL in the path"
        if any(
            "\x00" in name or any("\x00" in value for value in values)
            for name, values in request.GET.lists()
        ):
            return "NUL in the query string"
        if any(
            "\x00" in value
            for name, value in request.META.items()
            if name.startswith("HTTP_") and isinstance(value, str)
        ):
            return "NUL in a header"
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not (isinstance(length, str) and length.isascii() and length.isdigit()):
            return "Content-Length is not a number"
        return None
