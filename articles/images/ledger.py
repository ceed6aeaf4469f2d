"""What each URL was cached as, kept in media storage beside the files: `images/urls/<2>/<url_hash>.json`.

Cache state lives on `Image` rows, and the importer deletes and recreates an article's rows when its file
changes. When no other row shares the URL, that state would be gone and the image downloaded again; this
small record lets the pipeline find the stored copy instead. It is only a hint: an entry is used when it
is well-formed and its files still exist, otherwise the URL is simply fetched again.
"""

import json
import re

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from articles.images.renditions import StoredImage

_NAME = re.compile(r"^images/[0-9a-f]{2}/[0-9a-f]{64}/[A-Za-z0-9_.-]+$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})


def entry_name(url_hash: str) -> str:
    return f"images/urls/{url_hash[:2]}/{url_hash}.json"


def remember(storage: Storage, url_hash: str, *, stored: StoredImage, content_sha256: str, image_format: str) -> None:
    name = entry_name(url_hash)
    entry = {
        "file": stored.file_name,
        "renditions": stored.renditions,
        "sha256": content_sha256,
        "format": image_format,
    }
    # Storages pick a new name rather than overwrite (S3 is configured with file_overwrite off), so delete first.
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(json.dumps(entry).encode()))


def recall(storage: Storage, url_hash: str) -> tuple[StoredImage, str, str] | None:
    """(stored files, content sha256, format) of an earlier download of this URL, or None."""
    name = entry_name(url_hash)
    if not storage.exists(name):
        return None
    try:
        with storage.open(name) as handle:
            entry = json.loads(handle.read(64 * 1024))
        stored = StoredImage(
            file_name=entry["file"],
            renditions={
                str(size): {"name": r["name"], "width": int(r["width"]), "height": int(r["height"])}
                for size, r in entry["renditions"].items()
            },
        )
        names = [stored.file_name, *(r["name"] for r in stored.renditions.values())]
        if not (
            all(isinstance(n, str) and _NAME.match(n) for n in names)
            and _HEX64.match(entry["sha256"])
            and entry["format"] in ACCEPTED_FORMATS
        ):
            return None
    except (ValueError, KeyError, TypeError, AttributeError, OSError):
        return None
    if not all(storage.exists(n) for n in names):
        return None  # media was cleaned up since: download again
    return stored, entry["sha256"], entry["format"]
