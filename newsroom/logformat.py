"""Log records as single lines that log tools parse: logfmt (`key=value …`) or JSON lines (DJANGO_LOG_FORMAT=json).

Every line carries ts, level, logger and msg, then the record's structured `fields` (logger.info("request",
extra={"fields": {...}})); a traceback travels inside the line as `exc`, so one record is always one line.
"""

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

# Values that need no quoting in logfmt; anything else is quoted and escaped as a JSON string (ASCII only, so no
# control or line-separator character from a request can break the line).
_BARE = re.compile(r"[A-Za-z0-9_.:/@+\-,%*]+")


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict:
    fields = {
        "ts": timestamp(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields.update(getattr(record, "fields", None) or {})
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    elif record.stack_info:
        fields["stack"] = formatter.formatStack(record.stack_info)
    return fields


def logfmt_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text)


class LogfmtFormatter(logging.Formatter):
    """Both formatters also make a line from parts, each some of its fields in order: newsroom.request_log writes
    request lines that way, without a LogRecord, and keeps the part that repeats from one request to the next."""

    def format(self, record: logging.LogRecord) -> str:
        return self.part(record_fields(record, self))

    @staticmethod
    def part(fields: dict) -> str:
        return " ".join(f"{key}={logfmt_value(value)}" for key, value in fields.items() if value is not None)

    @staticmethod
    def line(parts: Iterable[str]) -> str:
        return " ".join(part for part in parts if part)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record, self), default=str)

    @staticmethod
    def part(fields: dict) -> str:
        return json.dumps(fields, default=str)[1:-1]  # the members, without the braces

    @staticmethod
    def line(parts: Iterable[str]) -> str:
        return "{" + ", ".join(part for part in parts if part) + "}"
