"""Answers the site gives itself instead of a view's page: refusals of bad input, too many requests or a locked
login (JSON under the API, a styled page elsewhere, never cached, with Retry-After when waiting helps), and a
short 503 while the database cannot be reached.

A view's connection failure is caught by `DatabaseUnavailableMiddleware`; one raised outside a view (a
middleware saving a session, say) reaches `server_error`, the 500 handler, which answers the same way.
Other database errors are real bugs and stay 500s.
"""

import math
import sys

import psycopg
from django.core.exceptions import BadRequest
from django.db import InterfaceError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from psycopg_pool import PoolTimeout

from newsroom.db_pool import database_unreachable

TITLES = {400: "Bad request", 429: "Too many requests"}


class InvalidParameter(BadRequest):
    """A query parameter the page cannot honour; the 400 names it (like DRF's validation errors)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("api:root"))


def error_response(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    errors: dict[str, list[str]] | None = None,
    retry_after: float | None = None,
) -> HttpResponse:
    if is_api_request(request):
        response = JsonResponse(errors or {"detail": message}, status=status)
    else:
        context = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
        response = render(request, "error.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    add_never_cache_headers(response)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: our own InvalidParameter says what is wrong; Django's other refusals (a forged Host header,
    too many fields) keep their details to the logs."""
    if isinstance(exception, InvalidParameter):
        return error_response(request, 400, exception.message, errors={exception.parameter: [exception.message]})
    return error_response(request, 400, "The request could not be understood.")


def too_many_requests(request: HttpRequest, retry_after: float) -> HttpResponse:
    seconds = max(1, math.ceil(retry_after))
    message = f"Too many requests from your address. Please try again in {seconds} seconds."
    return error_response(request, 429, message, retry_after=seconds)


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lock-out response (AXES_LOCKOUT_CALLABLE): the admin's login page style, 429, Retry-After."""
    from axes.helpers import get_cool_off  # axes reads its settings on import: only once Django is set up

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(request, "admin/locked_out.html", {"minutes": minutes}, status=429)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    add_never_cache_headers(response)
    return response


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
    if is_api_request(request):
        response = JsonResponse({"detail": "The service is briefly unavailable; try again shortly."}, status=503)
    else:
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
