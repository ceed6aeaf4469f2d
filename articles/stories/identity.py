"""The identity of an article URL: the URL as the file gives it, minus well-known tracking parameters.

Pure (no database, no Django): the parser's worker processes, the loader, the admin search and the public
pages all compute identities with `web_identity`/`identity_hash`, so one story reposted with
`?utm_source=…` is the same article everywhere. Nothing else about the URL changes: the query string
keeps its order and encoding, and the scheme and host were already lower-cased by the parser.
"""

import hashlib
import re

# Exact parameter names (compared lower-cased) that only say where a click came from.
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga",
    "_gl", "twclid", "ttclid", "_hsenc", "_hsmi", "mkt_tok",
})  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
# Medium adds `source=` to every link it hands out; its post URLs end in a 12-hex-digit id, which is how
# a publication on a custom domain is recognised.
_MEDIUM_HOST = re.compile(r"^https?://(?:[^/?#@]*@)?(?:[^/?#]*\.)?medium\.com(?::\d+)?(?=[/?#]|$)")
_MEDIUM_POST = re.compile(r"^https?://[^/?#]+/(?:[^?#]*/)?[^/?#]*-[0-9a-f]{12}/?(?=[?#]|$)")


def web_identity(url: str) -> str:
    """`url` without tracking parameters (and without a `?` left empty by their removal)."""
    query_start = url.find("?")
    if query_start < 0:
        return url
    fragment_start = url.find("#", query_start)
    end = len(url) if fragment_start < 0 else fragment_start
    base, query, fragment = url[:query_start], url[query_start + 1 : end], url[end:]
    medium = bool(_MEDIUM_HOST.match(url) or _MEDIUM_POST.match(url))
    kept = [part for part in query.split("&") if not _is_tracker(part, medium)]
    if len(kept) == len(query.split("&")):
        return url
    return base + ("?" + "&".join(kept) if kept else "") + fragment


def _is_tracker(part: str, medium: bool) -> bool:
    name = part.split("=", 1)[0].lower()
    # Feeds that HTML-escape their links turn "&utm_source" into "&amp;utm_source".
    name = name.removeprefix("amp;")
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES) or (medium and name == "source")


def identity_hash(url: str) -> str:
    """The key an article is stored and found under (URLs are too long for a plain unique B-tree index)."""
    return hashlib.sha256(web_identity(url).encode()).hexdigest()


def url_identity_hash(url: str) -> str:
    """Stable key for a URL string as given (image cache keys). Articles and related links are keyed by their
    identity without trackers instead (`identity_hash`)."""
    return hashlib.sha256(url.encode()).hexdigest()
