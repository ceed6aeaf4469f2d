"""One log line per request: method, path, query (sensitive values redacted), status, duration, client, worker.

Nothing else from the request is logged: no cookie, header, session or body, so no password or session id can
reach the logs; query values whose names suggest a secret are replaced by `[redacted]`.
"""

import logging
import os
import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed, SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

from newsroom.clients import client_address
from newsroom.logformat import JsonFormatter, LogfmtFormatter, timestamp

logger = logging.getLogger("newsroom.requests")
SENSITIVE_NAME = re.compile(r"pass|pwd|secret|token|key|session|csrf|auth|sig|code|otp|secured|email", re.IGNORECASE)
MAX_QUERY_LENGTH = 500  # a query is logged for debugging, not as evidence: long junk is cut


def loggable_query(request: HttpRequest) -> str:
    pairs = [
        (name, "[redacted]" if SENSITIVE_NAME.search(name) else value)
        for name, values in request.GET.lists()
        for value in values
    ]
    query = urlencode(pairs)
    return query if len(query) <= MAX_QUERY_LENGTH else query[:MAX_QUERY_LENGTH] + "…"


def request_query(request: HttpRequest) -> str:
    """The query to log, read before the view runs: the public page cache narrows request.GET to what a page reads."""
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return ""
    # Parsing, redacting and encoding again took 13 µs, a sixth of a cache hit answered by newsroom.wsgi_hits: the
    # same query string gives the same line, so the last few are kept (a bounded dict, emptied when full).
    query = _queries.get(raw)
    if query is None:
        try:
            query = loggable_query(request)
        except SuspiciousOperation:  # too many fields: Django answers 400 further in
            return "[unparsable]"
        if len(_queries) >= QUERIES_KEPT:
            _queries.clear()
        _queries[raw] = query
    return query


QUERIES_KEPT = 1024
_queries: dict[str, str] = {}


@receiver(setting_changed)
def _forget_queries(**kwargs):  # DATA_UPLOAD_MAX_NUMBER_FIELDS decides what is unparsable (tests change it)
    _queries.clear()


def log_request(request: HttpRequest, *, query: str, status: int, started: float) -> None:
    """The request's line (`started`: time.perf_counter() when it came in)."""
    log_line(request.method, escape_uri_path(request.path), query, status, started, client_address(request.META))


def log_line(method: str, path: str, query: str, status: int, started: float, client: str) -> None:
    """A request's line from its fields (`path` escaped as by escape_uri_path): newsroom.wsgi_hits logs its answers
    here too, so every request has one line whoever answered it."""
    if not logger.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    console = _sole_console()
    if console is None:
        fields = {"method": method, "path": path, "query": query or None, "status": status, "duration_ms": duration_ms}
        logger.info("request", extra={"fields": {**fields, "client": client, "pid": os.getpid()}})
        return
    # What logging would write there, without a LogRecord, the caller's frame found, the handlers walked (30 µs of a
    # cache hit's 150 in-process: bench/README.md); the fields from level to status, the same for every request
    # answered alike, formatted once (2.6 µs less a line).
    formatter = console.formatter
    key = (type(formatter), method, path, query, status)
    kept = _kept_parts.get(key)
    if kept is None:
        kept = formatter.part({**_HEAD, "method": method, "path": path, "query": query or None, "status": status})
        if len(_kept_parts) >= PARTS_KEPT:
            _kept_parts.clear()
        _kept_parts[key] = kept
    ts = formatter.part({"ts": timestamp(time.time())})
    line = formatter.line(
        (ts, kept, formatter.part({"duration_ms": duration_ms, "client": client, "pid": os.getpid()}))
    )
    console.acquire()
    try:
        console.stream.write(line + console.terminator)
        console.flush()
    except Exception:
        console.handleError(logger.makeRecord(logger.name, logging.INFO, __file__, 0, "request", (), None))
    finally:
        console.release()


PARTS_KEPT = 1024
_kept_parts: dict[tuple, str] = {}
_HEAD = {"level": "info", "logger": logger.name, "msg": "request"}


def _sole_console() -> logging.StreamHandler | None:
    """The handler a request's record reaches when it is the only one and writing the formatted line to its stream
    is all logging would do (settings.LOGGING: the root's console); None for anything else (a file, a test's
    capture, a filter), which gets the record through logging."""
    if logger.filters:
        return None
    handlers = []
    current = logger
    while current is not None:
        handlers += current.handlers
        if not current.propagate:
            break
        current = current.parent
    if len(handlers) != 1:
        return None
    [handler] = handlers
    if (
        type(handler) is logging.StreamHandler
        and type(handler.formatter) in (LogfmtFormatter, JsonFormatter)
        and not handler.filters
        and handler.level <= logging.INFO
    ):
        return handler
    return None


class RequestLogMiddleware:
    def __init__(self, get_response):
        if not settings.REQUEST_LOG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        started = time.perf_counter()
        query = request_query(request)
        response = self.get_response(request)
        log_request(request, query=query, status=response.status_code, started=started)
        return response
