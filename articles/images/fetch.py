"""Download one remote image over HTTP(S), connecting only to addresses the policy allows.

Built on `socket`, `ssl` and `http.client` rather than a higher-level client so that the address that was
checked is exactly the address connected to (no second DNS lookup to rebind), no proxy is taken from the
environment, and every hop of a redirect goes through the same checks.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings

from articles.images.addresses import RefusedURL, Target, parse_allowed_hosts, parse_target, refusal_reason

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
READ_CHUNK = 64 * 1024
MAX_CONNECT_ADDRESSES = 3  # a host with many A/AAAA records must not multiply the connect timeout
USER_AGENT = "NewsroomImageFetcher/1.0"
ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9"

# Certificates and host names are verified; one context is safe to share between threads.
_TLS = ssl.create_default_context()


class FetchError(Exception):
    """A download failed. `permanent` when asking again for the same URL cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class FetchPolicy:
    allowed_hosts: frozenset[tuple[str, int]] = frozenset()
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # per network read: a stalled server
    total_timeout: float = 30.0  # whole download, redirects included: a server that drips
    max_redirects: int = 3

    @classmethod
    def from_settings(cls) -> "FetchPolicy":
        return cls(
            allowed_hosts=parse_allowed_hosts(settings.IMAGE_FETCH_ALLOWED_HOSTS),
            max_bytes=settings.IMAGE_FETCH_MAX_BYTES,
            connect_timeout=settings.IMAGE_FETCH_CONNECT_TIMEOUT,
            read_timeout=settings.IMAGE_FETCH_READ_TIMEOUT,
            total_timeout=settings.IMAGE_FETCH_TOTAL_TIMEOUT,
        )


@dataclass(frozen=True)
class Fetched:
    url: str  # the URL finally served, after redirects
    content: bytes


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    """GET `url` (following at most `policy.max_redirects` checked redirects); raise FetchError on any refusal."""
    deadline = _Deadline(time.monotonic() + policy.total_timeout)
    current = url
    for hop in range(policy.max_redirects + 1):
        try:
            target = parse_target(current, policy.allowed_hosts)
        except RefusedURL as exc:
            # The item's own URL is refused for good; a redirect's target may change upstream.
            raise FetchError(f"{'refused' if hop == 0 else 'redirect refused'}: {exc}", permanent=hop == 0) from None
        status, location, content = _get(target, _resolve(target), policy, deadline)
        if status in REDIRECT_STATUSES:
            if not location:
                raise FetchError(f"HTTP {status} without a Location header")
            current = urljoin(current, location)
            continue
        if status != 200:
            raise FetchError(f"HTTP {status}")
        return Fetched(url=current, content=content)
    raise FetchError(f"more than {policy.max_redirects} redirects")


def _resolve(target: Target) -> list[tuple[int, tuple]]:
    """Socket addresses for the target, every one of them checked; one refused address refuses the host."""
    if target.ip is not None:
        family = socket.AF_INET6 if target.ip.version == 6 else socket.AF_INET
        candidates = [(family, (str(target.ip), target.port))]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {target.host}: {exc}") from None
        candidates = [(family, sockaddr) for family, _, _, _, sockaddr in infos]
    addresses = []
    for family, sockaddr in candidates:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(sockaddr[0].partition("%")[0])
        scoped = family == socket.AF_INET6 and len(sockaddr) > 3 and sockaddr[3]
        reason = "scoped IPv6 address" if scoped else refusal_reason(ip)
        if reason and not target.allowlisted:
            raise FetchError(f"{target.host} resolves to {ip}: {reason}")
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError(f"{target.host} has no IPv4 or IPv6 address")
    return addresses


class _Deadline:
    """The whole download's time limit: when it passes, the open socket is shut down under the reader's feet.

    Socket timeouts bound each read, but a server sending one byte per second never trips them.
    """

    def __init__(self, at: float):
        self.at = at
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if sock is not None and self.expired:
                self._shutdown()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        # The plain socket method: an SSLSocket's own shutdown() would also tear down its TLS state.
        with contextlib.suppress(OSError, TypeError):
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)


def _connect(addresses: list[tuple[int, tuple]], policy: FetchPolicy, deadline: _Deadline) -> socket.socket:
    errors = []
    for family, sockaddr in addresses[:MAX_CONNECT_ADDRESSES]:
        remaining = deadline.remaining()
        if remaining <= 0:
            break
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(min(policy.connect_timeout, remaining))
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            errors.append(f"{sockaddr[0]}: {exc}")
            continue
        return sock
    raise FetchError("cannot connect: " + ("; ".join(errors) or f"took longer than {policy.total_timeout:g}s"))


def _get(
    target: Target, addresses: list[tuple[int, tuple]], policy: FetchPolicy, deadline: _Deadline
) -> tuple[int, str | None, bytes]:
    """One GET on a fresh connection to a checked address; returns (status, Location, body of a 200)."""
    sock = _connect(addresses, policy, deadline)
    watchdog = threading.Timer(max(deadline.remaining(), 0), deadline.expire)
    watchdog.daemon = True
    deadline.watch(sock)
    watchdog.start()
    connection = None
    try:
        sock.settimeout(policy.read_timeout)
        if target.scheme == "https":
            sock = _TLS.wrap_socket(sock, server_hostname=target.host, do_handshake_on_connect=False)
            deadline.watch(sock)
            sock.do_handshake()
        connection = http.client.HTTPConnection(target.host, target.port)
        connection.sock = sock  # already connected (and TLS-wrapped): http.client never resolves or connects
        connection.putrequest("GET", target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in (
            ("Host", target.host_header),
            ("User-Agent", USER_AGENT),
            ("Accept", ACCEPT),
            ("Accept-Encoding", "identity"),  # never a compressed body: no gzip bombs, and the limit is real
            ("Connection", "close"),
        ):
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location"), b""
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise FetchError(f"response declares {declared} bytes, over the {policy.max_bytes}-byte limit")
        body = bytearray()
        while chunk := response.read1(READ_CHUNK):
            body += chunk
            if len(body) > policy.max_bytes:
                raise FetchError(f"response exceeds the {policy.max_bytes}-byte limit")
        if deadline.expired:
            raise FetchError(f"download took longer than {policy.total_timeout:g}s")
        if declared.isdigit() and len(body) != int(declared):
            raise FetchError(f"connection closed after {len(body)} of {declared} bytes")
        return 200, None, bytes(body)
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(f"timed out (no data for {policy.read_timeout:g}s)") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.expired:
            raise FetchError(f"download took longer than {policy.total_timeout:g}s") from None
        raise FetchError(f"connection failed: {type(exc).__name__}: {exc}") from None
    finally:
        watchdog.cancel()
        deadline.watch(None)
        if connection is not None:
            connection.close()
        sock.close()
