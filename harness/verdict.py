"""What a soak run recorded, and its verdict: the checks of bench/soak (harness/soak.py runs the scenario).

no leak (no answer started more than LEAK_GRACE seconds after an unpublish committed shows that story),
no loss (the batch's rows equal a clean import's; every image task completes), availability (no 5xx or
failed connection outside PostgreSQL's windows and a killed worker's requests in flight; no failed answer
later than the plan's recovery limit after PostgreSQL is back; none around the Redis restart; /healthz
quick while PostgreSQL is away), and the readers' throughput and latency per phase.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from harness.soak import SoakPlan

LEAK_GRACE = 1.0  # seconds after an unpublish commits during which a cached answer may still show the story


@dataclass
class Sample:
    path: str
    started: float
    finished: float
    status: int  # 0: no HTTP answer (connection refused or reset)
    worker: str
    shown: frozenset[str]  # editor stories present in the answer


@dataclass
class SoakResult:
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # name, start, end (monotonic)
    samples: list[Sample] = field(default_factory=list)
    hidden: list[tuple[str, float, float]] = field(default_factory=list)  # slug, unpublish committed, re-publish sent
    editor_actions: int = 0
    editor_failures: int = 0
    kills: dict[str, float] = field(default_factory=dict)
    killed_worker: str = ""
    pg_windows: list[tuple[float, float]] = field(default_factory=list)  # down from .. back at
    redis_window: tuple[float, float] = (0.0, 0.0)
    healthz_down: list[tuple[float, int]] = field(default_factory=list)  # seconds, status, while PostgreSQL was away
    data_checksums: dict[str, tuple[str, str]] = field(default_factory=dict)  # table: (after soak, clean import)
    tasks: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def judge(result: "SoakResult", plan: "SoakPlan") -> None:
    """Append to `result.failures` every check the run failed, and the figures to `result.notes`."""
    samples = sorted(result.samples, key=lambda s: s.started)
    if not samples:
        result.failures.append("no reader made a request")
        return
    leaks = [
        (slug, sample.path, sample.worker, sample.started - since)
        for slug, since, until in result.hidden
        for sample in samples
        if since + LEAK_GRACE <= sample.started and sample.finished <= until and slug in sample.shown
    ]
    leaks += [
        (slug, sample.path, sample.worker, sample.started - since)
        for slug, since, until in result.hidden
        for sample in samples
        if since + LEAK_GRACE <= sample.started and sample.finished <= until and sample.status == 200
        and sample.path in (f"/articles/{slug}/", f"/api/articles/{slug}/")
    ]  # fmt: skip
    result.notes.append(f"editor: {result.editor_actions} actions, {result.editor_failures} refused while away")
    if leaks:
        result.failures.append(f"leak: {len(leaks)} answers showed an unpublished story, e.g. {leaks[:3]}")
    if len(result.hidden) < 2:
        result.failures.append("the editor unpublished too little to judge leaks")

    kill = result.kills.get("web worker", 0)
    pg_windows = [(down, back + plan.recovery_limit) for down, back in result.pg_windows]

    def excused(sample: Sample) -> bool:
        in_pg = any(start <= sample.finished and sample.started <= end for start, end in pg_windows)
        in_flight_on_killed = sample.status == 0 and sample.started <= kill <= sample.finished + 0.1
        return in_pg or in_flight_on_killed

    bad = [s for s in samples if _failed(s) and not excused(s)]
    if bad:
        result.failures.append(f"availability: {len(bad)} failed answers outside the excused windows, e.g. "
                               f"{[(s.path, s.status) for s in bad[:5]]}")  # fmt: skip
    for _down, back in result.pg_windows:
        # Up to the next fault: each window is followed by `settle` seconds of plain load.
        after = [s for s in samples if back <= s.started and s.finished <= back + plan.settle]
        late = [s.finished - back for s in after if _failed(s)]
        recovery = max(late, default=0.0)
        result.notes.append(f"postgres back -> no failed answer after {recovery:.2f} s")
        if recovery > plan.recovery_limit:
            result.notes += [
                f"  failed after PostgreSQL was back: {s.path} {s.status} worker {s.worker} "
                f"from {s.started - back:+.2f} s to {s.finished - back:+.2f} s"
                for s in after
                if _failed(s)
            ]
        if recovery > plan.recovery_limit:
            result.failures.append(f"availability: failed answers {recovery:.2f} s after PostgreSQL was back")
    start, end = result.redis_window
    around_redis = [s for s in samples if start - 1 <= s.started <= end + plan.settle and _failed(s)]
    if around_redis:
        result.failures.append(f"availability: {len(around_redis)} failed answers around the Redis restart")
    if result.healthz_down:
        slowest = max(seconds for seconds, _ in result.healthz_down)
        statuses = sorted({status for _, status in result.healthz_down})
        result.notes.append(f"/healthz while postgres was away: {statuses}, slowest {slowest:.2f} s")
        if slowest > plan.healthz_limit or statuses != [503]:
            result.failures.append(f"/healthz while PostgreSQL was away: {statuses}, slowest {slowest:.2f} s")
    else:
        result.failures.append("/healthz was not probed while PostgreSQL was away")

    for table, (after, reference) in result.data_checksums.items():
        if after != reference:
            result.failures.append(f"loss: {table} differ from a clean import of the same batch")
    if not result.data_checksums:
        result.failures.append("loss: the data was not compared with a clean import")
    if not result.tasks or set(result.tasks) != {"SUCCESSFUL"}:
        result.failures.append(f"loss: image tasks enqueued before the kill ended as {result.tasks}")


def table(result: "SoakResult") -> list[str]:
    """Readers' throughput and p99 latency per phase."""
    lines = [f"{'phase':<18} {'seconds':>8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>8}"]
    for name, start, end in result.phases:
        inside = [s for s in result.samples if start <= s.started < end]
        latencies = sorted((s.finished - s.started) * 1000 for s in inside)
        errors = sum(1 for s in inside if _failed(s))
        rate = len(inside) / (end - start)
        p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
        lines.append(
            f"{name:<18} {end - start:>8.1f} {len(inside):>9} {rate:>8.1f} {p50:>8.1f} {p99:>8.1f} {errors:>8}"
        )
    return lines


def _failed(sample: Sample) -> bool:
    """A server error or no answer at all (a 404 for a story the editor hid is a right answer)."""
    return sample.status == 0 or sample.status >= 500


def mentions(body: bytes, slug: str) -> bool:
    """The story is on the page: a link to it (HTML) or its slug as a JSON value (API)."""
    return f"/articles/{slug}/".encode() in body or f'"{slug}"'.encode() in body


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))]


CHECKSUM_QUERIES = {
    "articles": """
        SELECT md5(coalesce(string_agg(concat_ws('|', a.web_url_hash, a.web_url, a.slug, a.title, a.excerpt,
            a.category, a.type, a.published_at, a.original_url, a.amp_url, a.cdn_amp_url, a.heat, a.quality,
            a.published, a.source_published, a.secured, a.extra::text, a.content_hash, p.domain),
            E'\\n' ORDER BY a.web_url_hash), ''))
        FROM articles_article a JOIN providers_provider p ON p.id = a.provider_id
        WHERE a.source_path LIKE %(corpus)s""",
    "related links": """
        SELECT md5(coalesce(string_agg(concat_ws('|', a.web_url_hash, r.position, r.web_url, r.title, r.excerpt,
            r.published_at, r.quality, r.heat, r.type, r.category, r.extra::text, p.domain),
            E'\\n' ORDER BY a.web_url_hash, r.position), ''))
        FROM articles_relatedlink r JOIN articles_article a ON a.id = r.article_id
        LEFT JOIN providers_provider p ON p.id = r.provider_id
        WHERE a.source_path LIKE %(corpus)s""",
    "images": """
        SELECT md5(coalesce(string_agg(concat_ws('|', a.web_url_hash, r.position, i.position, i.url, i.width,
            i.height, i.title, i.is_cached, i.extra::text), E'\\n'
            ORDER BY a.web_url_hash, r.position, i.position), ''))
        FROM articles_image i
        LEFT JOIN articles_relatedlink r ON r.id = i.related_link_id
        JOIN articles_article a ON a.id = coalesce(i.article_id, r.article_id)
        WHERE a.source_path LIKE %(corpus)s""",
    "topics": """
        SELECT md5(coalesce(string_agg(concat_ws('|', a.web_url_hash, t.name, at.source, at.term), E'\\n'
            ORDER BY a.web_url_hash, t.name), ''))
        FROM articles_article_topics at JOIN articles_article a ON a.id = at.article_id
        JOIN articles_topic t ON t.id = at.topic_id
        WHERE a.source_path LIKE %(corpus)s""",
    # Which articles share a story (the grouping, not the ids).
    "stories": """
        SELECT md5(coalesce(string_agg(members, E'\\n' ORDER BY members), ''))
        FROM (SELECT string_agg(a.web_url_hash, ',' ORDER BY a.web_url_hash) AS members
              FROM articles_article a WHERE a.source_path LIKE %(corpus)s GROUP BY a.story_id) AS stories""",
}


def checksums(url: str, corpus: str) -> dict[str, str]:
    """One checksum per kind of row of the batch's items, independent of ids and import times."""
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(query, {"corpus": corpus.rstrip("/") + "/%"}).fetchone()[0]
            for table, query in CHECKSUM_QUERIES.items()
        }
