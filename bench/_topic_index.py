"""Implementation of bench/topic_index (run that wrapper): what the topic index costs each uncached list page.

The index (articles.selectors.topic_index) is one query: every topic with an EXISTS for "has a public story",
and on list pages with a filter menu, UNION ALL the outlets that have public stories; it is kept in the public
cache until the next public change. This measures the median time of computing it, against the plain topic
query it replaced, and of reading it from the cache (local memory here; Redis adds a round trip), on N
generated items in PostgreSQL, with the files' own `published` flags, with every story public, and none.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _common import PYTHON, REPO, ensure_corpus, fresh_database, server_url

DATABASE = "topic_index_bench"


def log(message: str) -> None:
    print(f"topic_index: {message}", file=sys.stderr, flush=True)


def median_ms(function, repeat: int) -> float:
    function()  # warm the plan cache and the buffers
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(repeat: int) -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.db import connection

    from articles.models import Article, Topic
    from articles.selectors import _load_index, topic_index

    def plain():
        list(Topic.objects.values_list("id", "name", "slug", "parent_id", "shortname", "description"))

    scenarios = [("files' flags", None), ("all public", True), ("none public", False)]
    print(f"{'published':>14} {'public':>7} {'plain topics ms':>16} {'index ms':>9} {'+ outlets ms':>13} "
          f"{'cached ms':>10}")  # fmt: skip
    for label, flag in scenarios:
        if flag is not None:
            Article.objects.update(published=flag)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE articles_article")
        public = Article.objects.public().count()
        row = [
            median_ms(plain, repeat),
            median_ms(lambda: _load_index(False), repeat),
            median_ms(lambda: _load_index(True), repeat),
            median_ms(lambda: topic_index(outlets=True), repeat),
        ]
        print(f"{label:>14} {public:>7} {row[0]:>16.2f} {row[1]:>9.2f} {row[2]:>13.2f} {row[3]:>10.3f}")
    print(f"topics: {Topic.objects.count()}, articles: {Article.objects.count()}, medians of {repeat} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=200)
    options = parser.parse_args()
    if os.environ.get("TOPIC_INDEX_MEASURE"):
        measure(options.repeat)
        return
    directory = ensure_corpus(options.count, log)
    url = fresh_database(server_url("topic_index"), DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": "bench-only-not-secret", "DATABASE_POOL": "0"}
    run = {"cwd": REPO, "env": env, "check": True}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], **run)
    log(f"importing {options.count} items")
    subprocess.run([PYTHON, "manage.py", "import_articles", str(directory), "--trust-published"], **run,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([PYTHON, "manage.py", "import_taxonomy", str(REPO.parent / "shared" / "corpus" / "everyday-cc-ai"
                                                                / "_data" / "topics")], **run)  # fmt: skip
    env["TOPIC_INDEX_MEASURE"] = "1"
    subprocess.run([PYTHON, __file__, "--repeat", str(options.repeat)], **run)


if __name__ == "__main__":
    main()
