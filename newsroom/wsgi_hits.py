"""Repeated hits of the public page cache, answered in front of Django's handler.

newsroom.page_hits answers a hit before the middleware stack, but still inside Django's handler: the request_started
and request_finished signals (closing and checking database connections), URL resolution, the hit's checks. For a URL
it has already answered, it leaves a route (the URL as sent, the version and key of the page, its headers), and the
checks' verdict holds for the same URL: this WSGI application answers the next anonymous GET or HEAD for it from the
worker's copy of the page, after the one read a hit cannot do without, the shared public version. A bump anywhere is
seen at once, as by every other hit; a route whose version has moved on is dropped, and the request goes to Django.

Nor is Django's request built for each hit: which route a request has, and whether it is anonymous, depends only on
some of its environ's entries, so each worker keeps the verdict (a door) per values of those entries.

What the answer keeps: the page and the headers of the hit it repeats, with a fresh CSP nonce in the body and in the
policy; conditional requests answered by the same code as page_hits (ETag, 304); the request's log line. Anything
else goes to Django unchanged: other methods, a session or CSRF cookie or credentials, a URL without a route, a
shared cache that cannot be read (Redis away: the degraded rendering; the database away: the 503 page), a page this
worker no longer keeps.
"""

import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver
from django.utils.csp import LazyNonce, generate_nonce
from django.utils.encoding import escape_uri_path

from articles.cache import kept_page, respond, shared_version
from newsroom.clients import client_address
from newsroom.page_hits import PublicPageHitMiddleware, forget, route, route_address
from newsroom.request_log import log_line, request_query

PAGE_HITS = "newsroom.page_hits.PublicPageHitMiddleware"
# What may come before page_hits in settings.MIDDLEWARE: a route's answer does its work itself.
DONE_HERE = {"newsroom.request_log.RequestLogMiddleware"}
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")

# The environ entries that Django's request reads to tell whether a request is anonymous (its cookies) and to find
# its route (page_hits.route_address: scheme, host, path, query), with settings.SECURE_PROXY_SSL_HEADER's header;
# tests/public/test_wsgi_hits.py checks the list against what Django reads. The same values give the same verdict.
DOOR = (
    "HTTP_COOKIE", "wsgi.url_scheme", "HTTP_HOST", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "SERVER_NAME",
    "SERVER_PORT", "SCRIPT_NAME", "SCRIPT_URL", "REDIRECT_URL", "PATH_INFO", "QUERY_STRING",
)  # fmt: skip
DOORS = 1024  # verdicts each worker keeps (emptied when full)


class Door(NamedTuple):
    """What a request with these environ values is, as Django's request computes it."""

    address: tuple  # page_hits.route_address
    path: str  # the path as the request's log line gives it
    query: str  # the query as the log line gives it


class CachedPageHits:
    """WSGI application: `handler` (Django's) behind the answers of routes left by page_hits."""

    def __init__(self, handler: Callable):
        self.handler = handler
        self.enabled = PAGE_HITS in settings.MIDDLEWARE  # without it, no route is ever left
        if self.enabled:
            above = settings.MIDDLEWARE[: settings.MIDDLEWARE.index(PAGE_HITS)]
            unknown = [path for path in above if path not in DONE_HERE]
            if unknown:
                # A route's answer skips them: say what it must do in their place first.
                raise ImproperlyConfigured(f"newsroom.wsgi_hits does not know what {', '.join(unknown)} does to a hit.")
            self.finish = PublicPageHitMiddleware(handler).finish
        self.log = settings.REQUEST_LOG

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        answer = self.answer(environ) if self.enabled else None
        if answer is None:
            return self.handler(environ, start_response)
        door, status, headers, body = answer
        start_response(status, headers)
        if self.log:
            method, client = environ["REQUEST_METHOD"], client_address(environ)
            log_line(method, door.path, door.query, int(status[:3]), started, client)
        return [body]

    def answer(self, environ: dict) -> tuple | None:
        """(door, status line, headers, body) of the route's page, or None for Django to answer."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in environ:
            return None
        door = door_of(environ)
        if door is None:
            return None
        address = door.address
        found = route(address)
        if found is None:
            return None
        try:
            version = shared_version()
        except DatabaseError:  # the database cache is away: Django answers with the 503 page
            return None
        if version != found.version:
            if version is not None:
                forget(address)  # public content changed: the next hit inside Django leaves a new route
            return None
        entry = kept_page(found.key)
        if entry is None:  # expired (a scheduled publication is due) or pushed out by other pages
            return None
        if any(name in environ for name in CONDITIONAL):
            # Rare next to plain GETs: page_hits' own code answers them (a 304 keeps only some headers).
            request = WSGIRequest(environ.copy())  # a copy: WSGIRequest writes the decoded path into its environ
            request._csp_nonce = LazyNonce()
            response = self.finish(request, respond(request, entry))
            headers = [*response.items(), *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())]
            return door, f"{response.status_code} {response.reason_phrase}", headers, response.content
        nonce = generate_nonce()
        body = nonce.encode().join(entry[3])
        headers = [(name, nonce.join(value)) for name, value in found.headers]
        headers.append(("Content-Length", str(len(body))))
        return door, found.status, headers, body


def door_of(environ: dict) -> Door | None:
    """The door of an anonymous request that Django would not refuse, or None. Building Django's request to ask it
    took 9.7 µs, a sixth of a hit: the verdict is kept per values of the entries it depends on."""
    values = tuple(environ.get(name) for name in _door_entries or door_entries())
    door = _doors.get(values, _UNKNOWN)
    if door is _UNKNOWN:
        door = open_door(environ)
        with _doors_lock:
            if len(_doors) >= DOORS:
                _doors.clear()
            _doors[values] = door
    return door


def door_entries() -> tuple[str, ...]:
    """DOOR and the header of settings.SECURE_PROXY_SSL_HEADER, if any."""
    global _door_entries
    if _door_entries is None:
        proxy_header = settings.SECURE_PROXY_SSL_HEADER
        _door_entries = (*DOOR, proxy_header[0]) if proxy_header else DOOR
    return _door_entries


def open_door(environ: dict) -> Door | None:
    """door_of's verdict, from Django's request."""
    # A copy: WSGIRequest writes the decoded path into the environ it is given, and Django's handler, if it answers
    # instead, must decode the one the server sent.
    request = WSGIRequest(environ.copy())
    if not PublicPageHitMiddleware.anonymous(request):
        return None
    try:
        return Door(route_address(request), escape_uri_path(request.path), request_query(request))
    except DisallowedHost:  # Django answers with its 400
        return None


_UNKNOWN = object()
_door_entries: tuple[str, ...] | None = None
_doors: dict[tuple, Door | None] = {}
_doors_lock = threading.Lock()


@receiver(setting_changed)
def _forget_doors(**kwargs):  # hosts, proxies, cookie names: tests change them
    global _door_entries
    with _doors_lock:
        _doors.clear()
        _door_entries = None
