"""Refusals the site answers itself (bad input, too many requests, a locked login): JSON under the API, a styled
page elsewhere, never cached, with Retry-After when waiting helps."""

import math

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

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
