"""Repeated hits of the public page cache, answered in front of Django's handler.

newsroom.page_hits answers a hit before the middleware stack, but still inside Django's handler: the request_started
and request_finished signals (closing and checking database connections), URL resolution, the hit's checks. For a URL
it has already answered, it leaves a route (the URL as sent, the version and key of the page, its headers), and the
checks' verdict holds for the same URL: this WSGI application answers the next anonymous GET or HEAD for it from the
worker's copy of the page, after the one read a hit cannot do without, the shared public version. A bump anywhere is
seen at once, as by every other hit; a route whose version has moved on is dropped, and the request goes to Django.

What the answer keeps: the page and the headers of the hit it repeats, with a fresh CSP nonce in the body and in the
policy; conditional requests answered by the same code as page_hits (ETag, 304); the request's log line. Anything
else goes to Django unchanged: other methods, a session or CSRF cookie or credentials, a URL without a route, a
shared cache that cannot be read (Redis away: the degraded rendering; the database away: the 503 page), a page this
worker no longer keeps.
"""

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError
from django.utils.csp import LazyNonce, generate_nonce

from articles.cache import kept_page, respond, shared_version
from newsroom.page_hits import PublicPageHitMiddleware, forget, route, route_address
from newsroom.request_log import log_request, request_query

PAGE_HITS = "newsroom.page_hits.PublicPageHitMiddleware"
# What may come before page_hits in settings.MIDDLEWARE: a route's answer does its work itself.
DONE_HERE = {"newsroom.request_log.RequestLogMiddleware"}
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")


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
        request, status, headers, body = answer
        start_response(status, headers)
        if self.log:
            log_request(request, query=request_query(request), status=int(status[:3]), started=started)
        return [body]

    def answer(self, environ: dict) -> tuple | None:
        """(request, status line, headers, body) of the route's page, or None for Django to answer."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        # A copy: WSGIRequest writes the decoded path into the environ it is given, and Django's handler, if it
        # answers instead, must decode the one the server sent.
        request = WSGIRequest(environ.copy())
        if not PublicPageHitMiddleware.anonymous(request):
            return None
        try:
            address = route_address(request)
        except DisallowedHost:  # Django answers with its 400
            return None
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
            request._csp_nonce = LazyNonce()
            response = self.finish(request, respond(request, entry))
            headers = [*response.items(), *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())]
            return request, f"{response.status_code} {response.reason_phrase}", headers, response.content
        nonce = generate_nonce()
        body = nonce.encode().join(entry[3])
        headers = [(name, nonce.join(value)) for name, value in found.headers]
        headers.append(("Content-Length", str(len(body))))
        return request, found.status, headers, body
