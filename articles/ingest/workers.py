"""The work of a parser process: parse item files and find their automatic topics.

A spawned process loads this module (its initializer and tasks) before Django is set up, so nothing here
imports models at module level.
"""

import django

from articles.ingest.records import ParseResult
from articles.topics.matcher import TopicMatcher

# This process's topic matcher, compiled once by `start` (None: no automatic topics).
_matcher: TopicMatcher | None = None


def start(matcher: TopicMatcher | None) -> None:
    global _matcher
    django.setup()
    _matcher = matcher


def parse_many(items: list[tuple[str, bytes]], base_url: str, matcher: TopicMatcher | None = None) -> list[ParseResult]:
    from articles.ingest.parser import parse_bytes  # its field rules read model constants: after django.setup()

    results = [parse_bytes(data, path, base_url) for path, data in items]
    matcher = matcher or _matcher
    if matcher:
        # Here, beside parsing, rather than in the loader: parsing runs on every core, and the matcher adds
        # nothing to the writing of the previous chunk, which is the import's bottleneck.
        for result in results:
            if record := result.record:
                record.auto_topics = [(m.topic, m.term) for m in matcher.assign(record.title, record.excerpt)]
    return results
