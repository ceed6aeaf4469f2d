"""The work of a parser process: parse item files and prepare them for the loader (articles.ingest.prepared).

A spawned process runs only this and pure modules: no Django set-up, no models (tests/ingest/test_workers.py
holds them to it), so a worker starts fast and stays small.
"""

import os

from articles.ingest.parser import parse_bytes
from articles.ingest.prepared import PreparedItem, prepare
from articles.topics.matcher import TopicMatcher

# This process's topic matcher, compiled once by `start` (None: no automatic topics).
_matcher: TopicMatcher | None = None
# How much lower a parser process's CPU priority is than the importer's. The writer and PostgreSQL take turns on
# the import's critical path; parsers that compete with them on equal terms slow every chunk's write, while
# parsers that yield to them still finish their chunks in the writer's gaps.
NICENESS = 10


def start(matcher: TopicMatcher | None) -> None:
    global _matcher
    _matcher = matcher
    os.nice(NICENESS)


def parse_many(
    items: list[tuple[str, bytes, str]], base_url: str, matcher: TopicMatcher | None = None
) -> list[PreparedItem]:
    """Each item is (path, data, the data's content hash)."""
    # Topics are matched here, beside parsing, rather than in the loader: parsing runs on every core, and the
    # matcher adds nothing to the writing of the previous chunk, which is the import's bottleneck.
    matcher = matcher or _matcher
    return [prepare(parse_bytes(data, path, base_url, digest), matcher) for path, data, digest in items]
