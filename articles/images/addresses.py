"""Which image URLs and IP addresses the fetcher may use: strict parsing and an address policy, no network.

Every URL from an item file is untrusted. Anything ambiguous is refused rather than interpreted, because
the resolver, the HTTP library and a browser may each read an odd URL differently (SSRF through parser
differentials): numeric hosts in decimal/hex/octal forms, credentials, spaces, backslashes, zone ids.
"""

import contextlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MAX_URL_LENGTH = 4096
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOWED_PORTS = frozenset({80, 443})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata and host-agent endpoints; most are non-global anyway, but Azure's 168.63.129.16 is not.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "168.63.129.16", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)
# Ranges that embed or translate to IPv4, or are special, and that `is_global` does not (always) exclude.
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "192.0.0.0/24",  # IETF protocol assignments
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/96",  # IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
        "ff00::/8",  # multicast
    )
)

_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$"
)
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class RefusedURL(ValueError):
    """The URL itself is not acceptable; fetching it again will not change that."""


@dataclass(frozen=True)
class Target:
    """A parsed, normalised http(s) URL: what to connect to and what to ask for."""

    scheme: str
    host: str  # ASCII (IDNA), lower case, no brackets, no trailing dot
    port: int
    path: str  # path and query, percent-encoded
    ip: IPAddress | None  # set when the host is an IP literal
    allowlisted: bool  # host:port is listed in IMAGE_FETCH_ALLOWED_HOSTS

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_allowed_hosts(entries: Iterable[str]) -> frozenset[tuple[str, int]]:
    """`host:port` entries (IPv6 as `[::1]:8080`) as normalised pairs; anything else is a configuration error."""
    allowed = set()
    for entry in entries:
        host, sep, port = entry.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"IMAGE_FETCH_ALLOWED_HOSTS: {entry!r} is not host:port")
        host = host.strip("[]").lower().removesuffix(".")
        with contextlib.suppress(ValueError):
            host = str(ipaddress.ip_address(host))
        allowed.add((host, int(port)))
    return frozenset(allowed)


def parse_target(url: str, allowed_hosts: frozenset[tuple[str, int]] = frozenset()) -> Target:
    """Parse an image URL strictly; raise RefusedURL for anything the fetcher must not try."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedURL("URL too long")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise RefusedURL("URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise RefusedURL(f"scheme {scheme or '(none)'!r} is not http or https")
    if "@" in parts.netloc:
        raise RefusedURL("URL carries credentials")
    host, ip = _canonical_host(parts.hostname or "")
    port = DEFAULT_PORTS[scheme] if port is None else port
    allowlisted = (host, port) in allowed_hosts
    if port not in ALLOWED_PORTS and not allowlisted:
        raise RefusedURL(f"port {port} is not 80 or 443")
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    if parts.query:
        path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return Target(scheme=scheme, host=host, port=port, path=path, ip=ip, allowlisted=allowlisted)


def _canonical_host(host: str) -> tuple[str, IPAddress | None]:
    if not host:
        raise RefusedURL("URL has no host")
    if ":" in host:  # urlsplit only yields a colon from a bracketed IPv6 literal
        if "%" in host:
            raise RefusedURL("IPv6 zone identifiers are not allowed")
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            raise RefusedURL(f"malformed IPv6 address {host!r}") from None
        return str(ip), ip
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise RefusedURL("host name is not valid IDNA") from None
    host = host.removesuffix(".")
    if len(host) > 253:
        raise RefusedURL("host name too long")
    labels = host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise RefusedURL(f"invalid host name {host!r}")
    # WHATWG URL rules: a host whose last label is numeric is an IPv4 address. Only the canonical
    # dotted quad is accepted; 2130706433, 0x7f.1, 0177.0.0.1 and 127.1 all mean 127.0.0.1 to some parser.
    if _NUMERIC_LABEL.match(labels[-1]):
        if not _DOTTED_QUAD.match(host):
            raise RefusedURL(f"numeric host {host!r} is not a plain dotted-quad IPv4 address")
        return host, ipaddress.IPv4Address(host)
    return host, None


def refusal_reason(ip: IPAddress) -> str | None:
    """Why a resolved address must not be contacted, or None when it is a public unicast address."""
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "IPv4-mapped IPv6 address"
        if ip.scope_id:
            return "scoped IPv6 address"
    for network in REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"special-purpose address ({network})"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private:
        return "private address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "address is not globally routable"
    return None
