"""The parser processes' work (articles.ingest.workers) runs with no Django set-up: pure modules only."""

import json
import os
import subprocess
import sys

from articles.ingest.workers import NICENESS
from tests.factories import REPO, item_data, item_text

# Every module a parser worker runs; none may need settings or the app registry.
WORKER_MODULES = [
    "articles.ingest.workers",
    "articles.ingest.parser",
    "articles.ingest.fields",
    "articles.ingest.prepared",
    "articles.stories.identity",
    "articles.stories.similarity",
    "articles.topics.matcher",
]

SCRIPT = """
import json, sys
for name in MODULES:
    __import__(name)
from articles.ingest.workers import parse_many, start
from articles.topics.matcher import TopicMatcher
from articles.topics.terms import TopicSpec

import os
niceness = os.nice(0)
start(TopicMatcher([TopicSpec(1, "AI", "", None, ()), TopicSpec(2, "Robots", "", 1, ("robot",))]))
data = sys.stdin.buffer.read()
from articles.ingest.parser import content_hash
(item,) = parse_many([("item.md", data, content_hash(data))], "")
conf = sys.modules.get("django.conf")
apps = sys.modules.get("django.apps")
print(json.dumps({
    "errors": list(item.errors),
    "slug": item.article[1],
    "auto_topics": [list(t) for t in item.auto_topics],
    "links": len(item.related),
    "niceness": os.nice(0) - niceness,
    "settings_configured": bool(conf and conf.settings.configured),
    "apps_ready": bool(apps and apps.apps.ready),
    "models_loaded": sorted(m for m in sys.modules if m.endswith(".models") and m.startswith("articles")),
}))
"""


def test_the_parser_workers_modules_load_and_run_without_django_set_up():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    data = item_text(item_data(7, title="Warehouse robots sort parcels")).encode()
    script = f"MODULES = {WORKER_MODULES!r}\n{SCRIPT}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, input=data, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    found = json.loads(done.stdout)
    assert found["errors"] == []
    assert found["slug"].startswith("warehouse-robots-sort-parcels-")
    assert found["auto_topics"] == [[1, "Robots"], [2, "Robots"]]  # the topic, and its parent with it
    assert found["links"] == 1
    # Parsers yield the CPU to the writer and PostgreSQL, which take turns on the import's critical path.
    assert found["niceness"] == NICENESS > 0
    assert not found["settings_configured"] and not found["apps_ready"]
    assert found["models_loaded"] == []
