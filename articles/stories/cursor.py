"""Where an "Older stories" page of the river starts: the river position of the last story shown before it.

A position is the placing article's publication time and id, written `<microseconds since 1970 UTC>_<id>` (pure
data, no Django: `harness/` builds cursors too). Every value PATTERN allows is a real position, so a value a client
generates from the API schema is never refused; anything else is.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# 16 digits of microseconds reach from 1653 to 2286; 18 digits of id stay inside a bigint.
PATTERN = r"-?[0-9]{1,16}_[0-9]{1,18}"
_CURSOR = re.compile(PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FORMAT = "<microseconds since 1970 UTC>_<id>"


@dataclass(frozen=True, slots=True)
class Cursor:
    published_at: datetime
    id: int

    def __str__(self) -> str:
        delta = self.published_at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}_{self.id}"


def parse_cursor(value: str) -> Cursor:
    """The position `value` names; ValueError for anything PATTERN does not allow."""
    if not _CURSOR.fullmatch(value):
        raise ValueError(f"not a river position: {value!r}")
    micros, pk = value.split("_")
    return Cursor(_EPOCH + timedelta(microseconds=int(micros)), int(pk))


def cursor_parameter(value: str) -> str | None:
    """`before` as the public cache keys it: one spelling per position (no leading zeros), nothing when blank; an
    invalid value stays as given, for the view to refuse."""
    if value == "":
        return None
    try:
        return str(parse_cursor(value))
    except ValueError:
        return value
