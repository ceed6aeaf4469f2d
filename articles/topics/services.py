"""Re-run automatic topic assignment over the articles already stored (`manage.py assign_topics`)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from articles.cache import bump_public_version
from articles.ingest.rows import insert_rows
from articles.limits import TERM_MAX_LENGTH
from articles.models import Article, ArticleTopic, Topic
from articles.topics.matcher import TopicMatcher

CHUNK_SIZE = 1000  # articles per transaction: a bounded memory and lock footprint whatever the table size
AUTO = ArticleTopic.Source.AUTO.value


@dataclass(slots=True)
class AssignSummary:
    articles: int = 0
    changed: int = 0
    added: int = 0
    removed: int = 0
    retermed: int = 0
    locked: int = 0


def assign_topics(
    *,
    matcher: TopicMatcher,
    dry_run: bool = False,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> AssignSummary:
    """Bring every article's automatic topics in line with `matcher`; idempotent.

    Only `auto` links change: stale ones go, missing ones come, a changed term is rewritten. Links from the
    file or an editor stay, and an article whose topics an editor locked is not touched at all. Each chunk is
    one transaction with its articles locked, so an editor's concurrent topic edit is never undone.
    """
    summary = AssignSummary()
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                Article.objects.select_for_update()
                .filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("id", "title", "excerpt", "editor_locked")[:chunk_size]
            )
            if not rows:
                break
            _assign_chunk(rows, matcher, summary)
            if dry_run:
                transaction.set_rollback(True)
        last_id = rows[-1][0]
        summary.articles += len(rows)
        if on_chunk:
            on_chunk(len(rows))
    if summary.changed and not dry_run:
        bump_public_version()  # topic pages and cards show the new topics
    return summary


def _assign_chunk(rows: list[tuple], matcher: TopicMatcher, summary: AssignSummary) -> None:
    ids = [row[0] for row in rows]
    links: dict[int, dict[int, tuple[int, str, str]]] = {}
    for pk, article_id, topic_id, source, term in ArticleTopic.objects.filter(article_id__in=ids).values_list(
        "id", "article_id", "topic_id", "source", "term"
    ):
        links.setdefault(article_id, {})[topic_id] = (pk, source, term)

    wanted: dict[int, dict[int, str]] = {}
    for article_id, title, excerpt, locked in rows:
        if "topics" in (locked or []):
            summary.locked += 1
            continue
        wanted[article_id] = {m.topic: m.term[:TERM_MAX_LENGTH] for m in matcher.assign(title, excerpt)}
    # The matcher was built when the run started: a topic deleted since then is left out.
    matched = {topic for topics in wanted.values() for topic in topics}
    existing = set(Topic.objects.filter(id__in=matched).values_list("id", flat=True)) if matched else set()

    stale, new = [], []
    for article_id, topics in wanted.items():
        have = links.get(article_id, {})
        auto = {topic: (pk, term) for topic, (pk, source, term) in have.items() if source == AUTO}
        kept = {topic for topic, (_, term) in auto.items() if topics.get(topic) == term}
        going = [pk for topic, (pk, _) in auto.items() if topic not in kept]
        # A topic the file or an editor gave already is theirs: the matcher adds no second link.
        coming = [
            (topic, term)
            for topic, term in topics.items()
            if topic in existing and topic not in kept and (topic not in have or topic in auto)
        ]
        retermed = sum(topic in auto for topic, _ in coming)
        if going or coming:
            summary.changed += 1
            summary.added += len(coming) - retermed
            summary.removed += len(going) - retermed
            summary.retermed += retermed
        stale += going
        new += [(article_id, topic, AUTO, term) for topic, term in coming]
    if stale:
        ArticleTopic.objects.filter(pk__in=stale).delete()
    insert_rows(ArticleTopic, ["article_id", "topic_id", "source", "term"], new)
