from django.db import InterfaceError, OperationalError

from .views import database_unavailable

DATABASE_DOWN = (OperationalError, InterfaceError)


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
