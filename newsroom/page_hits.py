"""Public pages already in the cache, answered before the rest of the middleware stack.

A hit needs none of what sessions, CSRF, authentication, messages or login lock-outs do, yet passing through them
cost more than finding the page (bench/page_speed). This middleware sits right after the request log (so a hit is
timed and logged like any request) and answers an anonymous GET or HEAD for a cache_public_page view straight from
articles.cache, with the same key, the same fresh CSP nonce and ETag, and the headers the full stack would have set:
those of the header-setting middleware below it in settings.MIDDLEWARE, run on the response in the same order.
Anything else, and every miss, goes through the full stack unchanged. Requests carrying a session or CSRF cookie
(editors, anyone who used a form) never take the shortcut, nor do those the stack would refuse or redirect.

Each 200 it answers for a page no rate limit counts leaves a *route*: the URL as the reader sent it (scheme, host,
path, query string), the version and key the page was found under, and the response's headers. Every check here
depends only on that URL (and on settings), so newsroom.wsgi_hits answers the next request for it in front of
Django's handler while the shared version is still the route's, without repeating them.
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured, SuspiciousOperation
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve
from django.utils.csp import LazyNonce
from django.utils.module_loading import import_string

from articles.cache import stored_page
from newsroom.hygiene import unusable_text
from newsroom.throttling import ClientRateThrottle, limited_scope

# Middleware whose process_response sets headers on every response: run on a hit too, innermost first.
HEADER_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
}
# Middleware that does nothing to an anonymous hit: static files only, a refusal checked here first, state that a
# hit never touches (a session, a CSRF token, the user, messages), a limit applied here, errors, login lock-outs.
SKIPPED_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.hygiene.RequestHygieneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "newsroom.throttling.RateLimitMiddleware",
    "newsroom.errors.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
}


# URLs whose last hit each worker remembers (a route holds the URL and the headers, not the page).
ROUTES = 256


class Route(NamedTuple):
    version: int
    key: str  # the page's key in articles.cache, whose worker copy holds the body
    status: str  # "200 OK"
    headers: tuple[tuple[str, tuple[str, ...]], ...]  # each value cut where the CSP nonce goes; no Content-Length


_routes: OrderedDict[tuple, Route] = OrderedDict()  # least recently used first
_routes_lock = threading.Lock()


def route_address(request: HttpRequest) -> tuple:
    """What every check of a hit depends on, as the reader sent it (get_host() refuses a host not allowed)."""
    return request.scheme, request.get_host(), request.path, request.path_info, request.META.get("QUERY_STRING", "")


def remember(address: tuple, request: HttpRequest, version: int, key: str, response: HttpResponse) -> None:
    if response.cookies or response.streaming:
        return
    nonce = str(request._csp_nonce) if request._csp_nonce else None  # an unused LazyNonce is falsy
    headers = tuple(
        (name, tuple(value.split(nonce)) if nonce else (value,))
        for name, value in response.items()
        if name.lower() != "content-length"
    )
    route = Route(version, key, f"{response.status_code} {response.reason_phrase}", headers)
    with _routes_lock:
        _routes[address] = route
        _routes.move_to_end(address)
        while len(_routes) > ROUTES:
            _routes.popitem(last=False)


def route(address: tuple) -> Route | None:
    with _routes_lock:
        found = _routes.get(address)
        if found is not None:
            _routes.move_to_end(address)
        return found


def forget(address: tuple) -> None:
    with _routes_lock:
        _routes.pop(address, None)


@receiver(setting_changed)
def _forget_all(**kwargs):
    # A route holds the verdict of checks that read settings (hosts, HTTPS redirect, rate limits): tests change them.
    with _routes_lock:
        _routes.clear()


def _unused(request):  # the header middleware are only asked for their process_response here
    raise AssertionError("not called")


class PublicPageHitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        below = settings.MIDDLEWARE[settings.MIDDLEWARE.index(f"{__name__}.{type(self).__name__}") + 1 :]
        unknown = [path for path in below if path not in HEADER_MIDDLEWARE | SKIPPED_MIDDLEWARE]
        if unknown:
            # A new middleware may set a header or refuse a request: say what a hit must do about it first.
            raise ImproperlyConfigured(f"newsroom.page_hits does not know what {', '.join(unknown)} does to a hit.")
        hooks = [import_string(path)(_unused) for path in below if path in HEADER_MIDDLEWARE]
        self.security = next((hook for hook in hooks if isinstance(hook, SecurityMiddleware)), None)
        self.response_hooks = list(reversed(hooks))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.hit(request) or self.get_response(request)

    def hit(self, request: HttpRequest) -> HttpResponse | None:
        """The stored page with the full stack's headers, or None for the full stack to answer."""
        if request.method not in ("GET", "HEAD") or not self.anonymous(request):
            return None
        try:
            if unusable_text(request):
                return None
            address = route_address(request)  # an unknown host gets the stack's 400
            match = resolve(request.path_info)
        except (Resolver404, DisallowedHost, SuspiciousOperation):
            return None
        params = getattr(match.func, "public_page_params", None)
        if params is None or (self.security and self.security.process_request(request) is not None):
            return None
        request._csp_nonce = LazyNonce()  # what the CSP middleware gives every request
        try:
            stored = stored_page(request, params)
        except DatabaseError:  # the database cache is away: the stack answers with its 503 page
            return None
        if stored is None or not self.within_rate_limit(request, match):
            return None
        response = self.finish(request, stored.response)
        if response.status_code == 200 and all(limited_scope(match, method) is None for method in ("GET", "HEAD")):
            # Every check above gives the same verdict to the next request for this URL (scheme, host, path and
            # query): newsroom.wsgi_hits may answer it in front of the handler while the version stays.
            remember(address, request, stored.version, stored.key, response)
        return response

    def finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The headers the full stack's middleware would add to this response."""
        for hook in self.response_hooks:
            response = hook.process_response(request, response)
        return response

    @staticmethod
    def anonymous(request: HttpRequest) -> bool:
        cookies = request.COOKIES
        return (
            settings.SESSION_COOKIE_NAME not in cookies
            and settings.CSRF_COOKIE_NAME not in cookies
            and "HTTP_AUTHORIZATION" not in request.META
        )

    @staticmethod
    def within_rate_limit(request: HttpRequest, match) -> bool:
        """The per-client limit counts hits too (newsroom.throttling). A refused request is not counted, so the
        stack, asked to answer it, refuses it again without counting it twice."""
        scope = limited_scope(match, request.method)
        if scope is None:
            return True
        try:
            return ClientRateThrottle(scope).allow_request(request, None)
        except Exception:  # the shared cache is unreachable: the stack serves everyone rather than refuse everyone
            return False
