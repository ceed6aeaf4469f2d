"""Normalisers for single front-matter values.

Each one takes the raw YAML value and returns the clean value or raises `Invalid`
with a reason; the parser decides whether that rejects the file or drops the value.
"""

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urljoin, urlsplit

from articles.limits import INT_MAX, INT_MIN, URL_MAX_LENGTH

# Unicode controls other than tab/newline, plus lone surrogates (PostgreSQL rejects both).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACE_RUN = re.compile(r"\s+")
_WHITESPACE = re.compile(r"\s")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9.-]+)(:[0-9]{1,5})?(?=[/?#]|\Z)", re.IGNORECASE | re.ASCII)
_INTEGER_TEXT = re.compile(r"\s*-?\d{1,12}\s*")
FUTURE_TOLERANCE = timedelta(days=1)


class Invalid(ValueError):
    pass


def text(value, *, max_length: int, single_line: bool = True) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"expected text, got {_type_name(value)}")
    value = str(value)
    # Fast path for the common case: printable text has no control characters and no whitespace but ' '.
    if not (value.isprintable() and "  " not in value):
        value = CONTROL_CHARS.sub("", value)
        value = _SPACE_RUN.sub(" ", value) if single_line else value
    value = value.strip()
    if len(value) > max_length:
        value = value[: max_length - 1].rstrip() + "…"
    return value


def required_text(value, *, max_length: int) -> str:
    value = text(value, max_length=max_length)
    if not value:
        raise Invalid("must not be empty")
    return value


def url(value) -> str:
    """An http(s) URL; scheme and host lower-cased, nothing else changed (it is an identity)."""
    if not isinstance(value, str):
        raise Invalid(f"expected a URL, got {_type_name(value)}")
    if CONTROL_CHARS.search(value):
        raise Invalid("control characters in URL")
    value = value.strip()
    if not value:
        raise Invalid("must not be empty")
    if "\t" in value or "\n" in value or "\r" in value:
        # urlsplit silently drops these, which would change the host of an identity.
        raise Invalid("tab or line break inside URL")
    if len(value) > URL_MAX_LENGTH:
        raise Invalid(f"longer than {URL_MAX_LENGTH} characters")
    return _plain_url(value) or _split_url(value)


def _plain_url(value: str) -> str | None:
    """The common shape (scheme://host[:port] then a path), without urlsplit; None for anything else."""
    match = _PLAIN_URL.match(value)
    if match is None or (match[3] and int(match[3][1:]) > 65535):
        return None
    return f"{match[1].lower()}://{match[2].lower()}{match[3] or ''}{value[match.end() :]}"


def _split_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise Invalid(f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise Invalid(f"only http and https URLs are allowed, not {scheme + ':' if scheme else 'a relative URL'}")
    if not hostname or _WHITESPACE.search(parts.netloc):
        raise Invalid("URL has no valid host")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    netloc = (userinfo + "@" if userinfo else "") + hostport.lower()
    # Rebuild by slicing, not urlunsplit, which would drop an empty '?' and change the identity.
    rest = value[value.index("//") + 2 + len(parts.netloc) :]
    return f"{scheme}://{netloc}{rest}"


def image_url(value, *, base_url: str = "") -> str:
    if isinstance(value, str):
        # WordPress feeds escape '&' in image URLs as '&#038;'; the real URL has a plain '&'.
        value = value.replace("&#038;", "&").replace("&#38;", "&")
        if base_url and value.strip().startswith("/") and not value.strip().startswith("//"):
            value = urljoin(base_url, value.strip().lstrip("/"))
    return url(value)


def domain(value) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected a domain, got {_type_name(value)}")
    value = value.strip().lower()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    value = value.split("/", 1)[0].rstrip(".")
    value = value.removeprefix("www.")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("not a valid domain name") from None
    if not _DOMAIN.match(value):
        raise Invalid("not a valid domain name")
    return value


def integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        whole_float = isinstance(value, float) and value.is_integer()
        if whole_float or (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value)):
            value = int(value)
        else:
            raise Invalid(f"expected an integer, got {_type_name(value)}")
    if not INT_MIN <= value <= INT_MAX:
        raise Invalid(f"{value} is outside the range {INT_MIN}..{INT_MAX}")
    return value


def dimension(value) -> int:
    value = integer(value)
    if value <= 0:
        raise Invalid(f"must be positive, got {value}")
    return value


def boolean(value) -> bool:
    # Only a real YAML boolean counts: "yes" in quotes is a string, not an approval.
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {_type_name(value)}")
    return value


def timestamp(value, *, now: datetime | None = None) -> datetime:
    """ISO 8601 with Z or an offset; a bare date is midnight UTC; naive times are UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"not an ISO 8601 date-time: {value[:40]!r}") from None
    else:
        raise Invalid(f"expected a date-time, got {_type_name(value)}")
    if moment.year < 1900:
        raise Invalid(f"{moment.isoformat()} is implausibly old")
    if moment.year > 9000:
        raise Invalid(f"{moment.isoformat()} is in the future")
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > (now or datetime.now(UTC)) + FUTURE_TOLERANCE:
        raise Invalid(f"{moment.isoformat()} is in the future")
    return moment


def json_safe(value):
    """Unknown fields are kept as JSON: dates become ISO strings, bytes and sets are refused."""
    if value is None or isinstance(value, bool | int):
        if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN * 2**32 < value < INT_MAX * 2**32:
            return str(value)  # beyond what JSON consumers read back exactly
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid("NaN and infinity are not valid JSON")
        return value
    if isinstance(value, str):
        return CONTROL_CHARS.sub("", value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {CONTROL_CHARS.sub("", str(k)): json_safe(v) for k, v in value.items()}
    raise Invalid(f"unsupported value of type {_type_name(value)}")


def _type_name(value) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing (null)", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
