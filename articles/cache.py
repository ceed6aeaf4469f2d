"""Cache of public responses, invalidated whenever what readers may see changes.

Every cached page is keyed by a *public version* kept in the shared cache. Anything that changes public
content bumps it: the signals below for single saves (admin forms), and `bump_public_version()` for bulk
writes that bypass signals (the importer, the admin's bulk actions). Old entries are never read again
and simply age out. Scheduled stories turn public without any write, so no entry is kept past the next
`publish_at`. Browsers revalidate every time (`no-cache`) with a weak ETag, which costs one cache read.

A local-memory cache lives inside one process and cannot hear another worker's bump, so its entries are
kept for seconds only (development); production shares Redis or the database cache (settings.py, DESIGN.md §7).
Each worker also keeps its last LOCAL_PAGES entries read from or written to a shared cache, under the same key:
a hit then costs one shared read (the version) instead of two, and no transfer and unpickling of the page. The key
holds the version, so a bump reaches these copies like any other, and each copy expires with its shared entry. A
copy keeps its body cut at the nonce placeholders, so that a hit joins the parts around a fresh nonce (3 µs for the
69 KB home) instead of searching the page for them and replacing them (65 µs); newsroom/wsgi_hits.py answers
repeated hits from these copies in front of Django's handler, after the same one shared read.

When Redis cannot be reached (newsroom/cache_backends.py: the backend is `degraded`), pages are rendered
from the database and not stored. A bump that could not be written is owed: this process pays it on its
next request that finds the cache reachable, so a Redis that comes back with its old entries (a network
split rather than a restart, which empties it) cannot serve them under the version they were stored with.

Keys are built from what a page reads, not from its URL: each cached view declares its query parameters (with a
rule that gives each value one spelling), the view sees only those, and `?utm_source=…` or any other junk shares
the canonical entry. Real parameters can still take endless values (`/search/?q=…`), so each path keeps at most
MAX_VARIANTS entries per version; further variants are rendered for their reader and not stored.
"""

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import wraps
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_started
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Now
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.csp import LazyNonce

from articles.models import Article, Topic
from newsroom.errors import is_api_request
from providers.models import Provider

CACHE_ALIAS = "public"
VERSION_KEY = "public:version"
SHARED_TIMEOUT = 300
LOCAL_TIMEOUT = 10
MAX_VARIANTS = 200  # stored query-string variants per path and version (a page of 41 KB: about 8 MB per path)
# Pages each worker keeps a copy of (30-110 KB each at 10,000 stories: at most ~7 MB a worker). Reading the 69 KB home
# page from the database cache took 1.2 ms of a 1.7 ms hit in-process (bench/README.md, bench/page_speed).
LOCAL_PAGES = 64
LOCAL_VALUES = 16  # public values each worker keeps (the topic index, with and without outlets)
# Pages are rendered with this in place of the CSP nonce and stored that way; each response gets a fresh
# nonce substituted. NUL cannot come from stored text (PostgreSQL refuses it, form fields reject it).
NONCE_PLACEHOLDER = "\x00csp-nonce\x00"
_NONCE_BYTES = NONCE_PLACEHOLDER.encode()
_UNCACHED_HEADERS = {"set-cookie", "content-length", "etag", "cache-control"}


_owed_bump = False


class _Kept(OrderedDict):
    """What this worker keeps of the shared cache: key -> (expires at, value), least recently used first, at most
    `size`; a value is dropped when it expires (its shared entry has expired too: a scheduled publication is due)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def lookup(self, key: str):
        with self._lock:
            kept = self.get(key)
            if kept is None:
                return None
            if kept[0] <= time.time():
                del self[key]
                return None
            self.move_to_end(key)
            return kept[1]

    def keep(self, key: str, expires: float, value) -> None:
        with self._lock:
            self[key] = (expires, value)
            self.move_to_end(key)
            while len(self) > self.size:
                self.popitem(last=False)


_local_pages = _Kept(LOCAL_PAGES)
_local_values = _Kept(LOCAL_VALUES)


def public_cache():
    return caches[CACHE_ALIAS]


def cache_degraded(cache) -> bool:
    """Whether this process cannot reach the shared cache right now (only the Redis backend can say so)."""
    return getattr(cache, "degraded", False)


def bump_public_version() -> None:
    """Invalidate every cached public response (call after changing anything readers may see)."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        # Bump again once the change is visible: a page rendered between the first bump and the commit
        # would have read the old rows and stored them under the new version.
        transaction.on_commit(_bump)


def _bump() -> None:
    global _owed_bump
    cache = public_cache()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        # Missing (first use, eviction, restart): a clock value never repeats a version used before.
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    _owed_bump = cache_degraded(cache)


@receiver(request_started)
def _pay_owed_bump(**kwargs):
    if _owed_bump:
        _bump()


def public_version() -> int:
    if _owed_bump:
        _bump()
    cache = public_cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


@receiver([post_save, post_delete], sender=Article)
@receiver([post_save, post_delete], sender=Topic)
@receiver([post_save, post_delete], sender=Provider)
def _public_row_changed(sender, **kwargs):
    bump_public_version()


@receiver(m2m_changed, sender=Article.topics.through)
def _topics_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        bump_public_version()


# A view's query parameters: name -> rule giving a value its one spelling (None: nothing to change). A rule
# returns None when the value means the same as no parameter at all (page 1).
Parameters = Mapping[str, Callable[[str], str | None] | None]


def cache_public_page(view=None, /, *, params: Parameters | None = None):
    """Serve a public GET view from the shared cache; with a fresh CSP nonce and an ETag either way.

    `params` are the query parameters the view reads; it is handed a request carrying only those (each once, in
    its canonical spelling), so that its response depends on nothing the key leaves out. Use as `@cache_public_page`
    or `cache_public_page(view, params={...})`.
    """
    if view is None:
        return lambda view: cache_public_page(view, params=params)
    params = params or {}

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        canonical_query(request, params)
        cache, version, key, entry = _lookup(request)
        if version is None:
            entry = _render(view, request, args, kwargs)
            return entry if isinstance(entry, HttpResponse) else respond(request, entry)
        if entry is None:
            entry = _render(view, request, args, kwargs)
            if isinstance(entry, HttpResponse):
                return entry
            timeout = _timeout(cache, version)
            if timeout and _may_store(cache, request, key, version):
                entry = (*entry, time.time() + timeout)
                cache.set(key, entry, timeout)
                _keep_local(cache, key, entry)
        return respond(request, entry)

    cached_view.query_parameters = tuple(params)
    cached_view.public_page_params = params  # newsroom.page_hits answers hits before the middleware stack
    return cached_view


class StoredPage(NamedTuple):
    version: int
    key: str
    response: HttpResponse


def stored_page(request, params: Parameters) -> StoredPage | None:
    """What a cache_public_page view with these `params` answers from the cache for this GET or HEAD request (a fresh
    CSP nonce, its ETag, a 304 when it matches), with the version and key it was found under; or None when nothing
    is stored: the request is then left as it came, for the view to answer."""
    query, get = request.META.get("QUERY_STRING", ""), request.GET
    canonical_query(request, params)
    _, version, key, entry = _lookup(request)
    if entry is None:
        request.META["QUERY_STRING"], request.GET = query, get
        return None
    return StoredPage(version, key, respond(request, entry))


def shared_version() -> int | None:
    """The public version the shared cache holds right now, for answers given outside Django's handler; None when
    it cannot be relied on: no shared cache (none, or local memory), a bump still owed, the cache unreachable. A
    database cache that cannot be reached raises DatabaseError."""
    cache = public_cache()
    if _owed_bump or isinstance(cache, (DummyCache, LocMemCache)):
        return None
    # Our shared backends read an integer for a fraction of what get() costs (newsroom/cache_backends.py): the
    # same value, as every hit asks for it; a bump is an incr(), or a set() or add() of a clock value.
    read = getattr(cache, "read_int", cache.get)
    version = read(VERSION_KEY)
    return None if cache_degraded(cache) else version


def kept_page(key: str) -> tuple | None:
    """This worker's copy of the entry stored under `key` (its body cut at the nonce placeholders), if it has one."""
    return _local_pages.lookup(key)


def cached_public_value(name: str, compute):
    """`compute()`, kept like a page: shared until the next change to public data (or the next scheduled
    publication), for values every page needs, such as the topic index.

    Each worker also keeps the values it read or computed, under the same key (so a bump reaches them) and never
    past the next scheduled publication: reading and unpickling the topic index with its ~300 outlets from the
    database cache cost about 1 ms of every page miss, and the value kept also keeps what is derived from it (the
    filter menus' HTML, the header's topics) from one request to the next. Callers must not change the value.
    """
    cache = public_cache()
    version = None if isinstance(cache, DummyCache) else public_version()
    if version is None or cache_degraded(cache):
        return compute()
    key = f"public:value:{version}:{name}"
    keep = not isinstance(cache, LocMemCache)  # local memory is this process's already
    if keep and (value := _local_values.lookup(key)) is not None:
        return value
    value = cache.get(key)
    timeout = _timeout(cache, version)
    if value is None:
        value = compute()
        if timeout:
            cache.set(key, value, timeout)
    if keep and timeout:
        _local_values.keep(key, time.time() + timeout, value)
    return value


def canonical_query(request, params: Parameters) -> None:
    """Narrow `request`'s query string to `params`: in declaration order, each value in its canonical spelling.

    Pages read the last of repeated values (as QueryDict.get and django-filter do), so only that one is kept; the
    API refuses a repeated parameter rather than guess which one was meant, so there all are kept, as given.
    """
    keep_repeats = is_api_request(request)
    pairs = []
    for name, rule in params.items():
        values = request.GET.getlist(name)
        if len(values) > 1 and not keep_repeats:
            values = values[-1:]
        if len(values) == 1 and rule is not None:
            values = [value] if (value := rule(values[0])) is not None else []
        pairs += [(name, value) for value in values]
    query = urlencode(pairs)
    request.META["QUERY_STRING"] = query
    request.GET = QueryDict(query)


def _lookup(request) -> tuple:
    """(cache, version, key, the stored entry or None) for a request already narrowed by canonical_query; version
    None when nothing may be read or stored (pages off, no cache, or Redis unreachable)."""
    cache = public_cache()
    # Pages off (settings.PUBLIC_PAGE_CACHE) leaves cached_public_value() on: what a page miss costs in production.
    version = None if not settings.PUBLIC_PAGE_CACHE or isinstance(cache, DummyCache) else public_version()
    if version is None or cache_degraded(cache):
        return cache, None, None, None
    key = _page_key(request, version)
    entry = _local_pages.lookup(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            _keep_local(cache, key, entry)
    return cache, version, key, entry


def _keep_local(cache, key: str, entry: tuple) -> None:
    """Keep a copy of a shared entry in this worker until the entry expires (entries carry their expiry time)."""
    if isinstance(cache, LocMemCache) or len(entry) < 5:  # local already; or stored before entries had one
        return
    etag, status, headers, body, expires = entry[:5]
    _local_pages.keep(key, expires, (etag, status, headers, tuple(body.split(_NONCE_BYTES)), expires))


def _page_key(request, version: int) -> str:
    # Scheme and host are part of the page: canonical links, feeds and JSON-LD hold absolute URLs.
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"public:page:{version}:{hashlib.sha256(url.encode()).hexdigest()}"


def _may_store(cache, request, key: str, version: int) -> bool:
    """Whether this page may be stored: always without a query string; otherwise while its path has stored fewer
    than MAX_VARIANTS distinct query strings under this version (a variant stored before may be stored again)."""
    if not request.META["QUERY_STRING"]:
        return True
    seen = f"{key}:seen"
    if cache.get(seen):
        return True
    path = f"{request.scheme}://{request.get_host()}{request.path}"
    counter = f"public:variants:{version}:{hashlib.sha256(path.encode()).hexdigest()}"
    cache.add(counter, 0, SHARED_TIMEOUT)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add and incr
        count = 1
    if count > MAX_VARIANTS:
        return False
    cache.set(seen, True, SHARED_TIMEOUT)
    return True


def _render(view, request, args, kwargs):
    """The view's response as a cache entry (etag, status, headers, body), or the response itself when it
    must not be cached (an error, a cookie, `private`)."""
    request._csp_nonce = NONCE_PLACEHOLDER
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
    finally:
        request._csp_nonce = LazyNonce()
    if (
        response.status_code != 200
        or response.cookies
        or response.streaming
        or "private" in response.get("Cache-Control", "")
    ):
        if not response.streaming and _NONCE_BYTES in response.content:
            response.content = response.content.replace(_NONCE_BYTES, str(request._csp_nonce).encode())
        return response
    headers = [(name, value) for name, value in response.items() if name.lower() not in _UNCACHED_HEADERS]
    etag = f'W/"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    return etag, response.status_code, headers, response.content


def respond(request, entry) -> HttpResponse:
    """The response for a stored entry: a fresh nonce in place of the placeholders, its ETag, a 304 when it matches."""
    etag, status, headers, body = entry[:4]
    parts = body if isinstance(body, tuple) else body.split(_NONCE_BYTES)  # a worker's copy is cut already
    body = parts[0] if len(parts) == 1 else str(request._csp_nonce).encode().join(parts)
    response = HttpResponse(body, status=status, headers=dict(headers))
    response["ETag"] = etag
    patch_cache_control(response, public=True, no_cache=True)
    return get_conditional_response(request, etag=etag, response=response)


def _timeout(cache, version: int) -> int:
    """Seconds a page may be kept: never past the next scheduled publication (0: do not store it)."""
    timeout = LOCAL_TIMEOUT if isinstance(cache, LocMemCache) else SHARED_TIMEOUT
    next_publish = _next_scheduled_publish(cache, version)
    if next_publish:
        # Timeouts are whole seconds (Redis drops any fraction): rounding up would serve the page past the
        # publication, so within its last second pages are rendered for each request instead.
        timeout = min(timeout, max(0, math.floor(next_publish - time.time())))
    return timeout


def _next_scheduled_publish(cache, version: int) -> float:
    """Epoch seconds of the next approved story waiting for its publish_at (0: none); one query per version."""
    key = f"public:next-publish:{version}"
    when = cache.get(key)
    if when is None or 0 < when <= time.time():
        scheduled = Article.objects.filter(published=True, publish_at__gt=Now()).aggregate(at=Min("publish_at"))["at"]
        when = scheduled.timestamp() if scheduled else 0.0
        cache.set(key, when, SHARED_TIMEOUT)
    return when
