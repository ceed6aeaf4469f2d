"""One rule for text no page can use, applied before any view sees the request.

A NUL character cannot be stored or compared by PostgreSQL (any query holding one fails) nor sent back in a
header, and an unpaired surrogate cannot be encoded at all. No URL of the site has a use for either, so a path or
query string holding one is refused with a 400 here instead of failing somewhere deep inside a view.
"""

import re

from django.http import HttpRequest, HttpResponse

from newsroom.errors import error_response

UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def unusable_text(request: HttpRequest) -> bool:
    if UNUSABLE.search(request.path):
        return True
    return any(
        UNUSABLE.search(name) or any(UNUSABLE.search(value) for value in values) for name, values in request.GET.lists()
    )


class RequestHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if unusable_text(request):
            return error_response(request, 400, "The address contains characters that no page here can use.")
        return self.get_response(request)
