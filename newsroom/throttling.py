"""Per-client rate limits for the API, the public search and admin login attempts.

DRF's throttle (a sliding window of request times per client, kept in the shared `default` cache so that every
worker counts together) applied by a middleware rather than inside DRF: API responses served from the public page
cache never reach DRF's own throttling, and a limit that counts only cache misses is no limit. Rates are
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read on each request; a scope whose rate is None is not limited. When the
shared cache cannot be reached, requests are let through: a limit must not turn a cache outage into a site outage.
"""

from django.http import HttpRequest
from django.urls import ResolverMatch
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from newsroom.clients import client_bucket
from newsroom.errors import too_many_requests

# (URL namespace or name, HTTP methods or None for all, scope)
LIMITED_ROUTES = (
    ("api", None, "api"),
    ("articles:search", None, "search"),
    # Only attempts cost anything (a password hash); showing the form is free.
    ("admin:login", {"POST"}, "login"),
)


class ClientRateThrottle(SimpleRateThrottle):
    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_bucket(request)}


def limited_scope(match: ResolverMatch | None, method: str) -> str | None:
    if match is None:
        return None
    for route, methods, scope in LIMITED_ROUTES:
        if (route == match.view_name or route in match.namespaces) and (methods is None or method in methods):
            return scope
    return None


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        scope = limited_scope(request.resolver_match, request.method)
        if scope is None:
            return None
        throttle = ClientRateThrottle(scope)
        try:
            if throttle.allow_request(request, None):
                return None
        except Exception:  # the shared cache is unreachable: serve everyone rather than refuse everyone
            return None
        return too_many_requests(request, throttle.wait() or throttle.duration)
