"""One rule for text no page can use, applied before any view sees the request.

A NUL character cannot be stored or compared by PostgreSQL (any query holding one fails) nor sent back in a
header, and an unpaired surrogate cannot be encoded at all. No URL of the site has a use for either, so a path or
query string holding one is refused with a 400 here instead of failing somewhere deep inside a view.
"""

import re

from django.http import HttpRequest, HttpResponse

from newsroom.errors import error_response

UNUSABLE = re.compile("[\x00\ud800-\udfff]")


MESSAGE = "The address contains characters that no page here can use."


def unusable_text(request: HttpRequest) -> bool:
    return unusable_part(request) is not None


def unusable_part(request: HttpRequest) -> str | None:
    """Where the unusable text is: "" for the path or a parameter's name, else the parameter it is the value of."""
    if UNUSABLE.search(request.path):
        return ""
    for name, values in request.GET.lists():
        if UNUSABLE.search(name):
            return ""
        if any(UNUSABLE.search(value) for value in values):
            return name
    return None


class RequestHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        part = unusable_part(request)
        if part is not None:
            # Name the parameter, as every other refusal of a parameter does (the API's 400 shape).
            errors = {part: [MESSAGE]} if part else None
            return error_response(request, 400, MESSAGE, errors=errors)
        return self.get_response(request)
