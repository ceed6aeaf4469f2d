"""Readers get a short 503 page, not a traceback, while the database cannot be reached.

A view's connection failure is caught by `DatabaseUnavailableMiddleware`; one raised outside a view (a
middleware saving a session, say) reaches `server_error`, the 500 handler, which answers the same way.
Other database errors are real bugs and stay 500s.
"""

import sys

import psycopg
from django.db import InterfaceError, connection
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from psycopg_pool import PoolTimeout

from newsroom.db_pool import database_unreachable

RETRY_AFTER_SECONDS = 5
# SQLSTATEs of a server that is going away or not there yet: connection exceptions (class 08),
# admin_shutdown, crash_shutdown, cannot_connect_now.
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03"}


def is_connection_failure(error: BaseException | None) -> bool:
    """Whether `error` (or what it wraps) says the database cannot be reached, rather than a bad query."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, PoolTimeout | InterfaceError | psycopg.InterfaceError):
            return True
        if isinstance(error, psycopg.OperationalError):
            state = error.sqlstate
            # No SQLSTATE: the client lost or never had the connection (refused, closed unexpectedly).
            return state is None or state.startswith("08") or state in _UNAVAILABLE_STATES
        error = error.__cause__ or error.__context__
    return False


def database_unavailable(request):
    database_unreachable(connection)
    response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_connection_failure(exception):
            return database_unavailable(request)
        return None


def server_error(request):
    if is_connection_failure(sys.exception()):
        return database_unavailable(request)
    return HttpResponseServerError(loader.get_template("500.html").render())
