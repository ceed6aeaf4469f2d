"""Three gunicorn workers, one truth: the shared Redis cache shows every worker an editor's change at once.

Real gunicorn (harness.wsgi adds `X-Worker-Pid`, so each answer names its worker) on the test database and
a private Redis that this test process shares, so the services and imports run here bump the same version.
"""

import os
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from articles.models import Article
from articles.services import unpublish_articles
from harness.http import Client, Editor
from harness.services import Gunicorn, manage, production_env
from tests.infra.conftest import redis_caches
from tests.public.conftest import make_article

WORKERS = 3
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(settings, redis_up):
    if connection.vendor != "postgresql":
        pytest.skip("several processes share the test database: PostgreSQL only")
    settings.CACHES = redis_caches(redis_up.url, retry_interval=1, socket_timeout=0.5)
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    # One client asks for hundreds of pages: rate limits (counted on cache hits too) are not what this tests.
    env = production_env(DATABASE_URL=url, REDIS_URL=redis_up.url, RATE_LIMIT_API="off", RATE_LIMIT_SEARCH="off")
    with Gunicorn(env, workers=WORKERS, app="harness.wsgi:application") as server:
        yield server, env


def from_every_worker(server: Gunicorn, paths: list[str], *, limit: int = 600) -> list:
    """Responses to `paths`, picked at random, until every worker has answered every path.

    Requests go several at a time: one at a time, the worker that has just answered is often the first back at the
    socket, and with a page answered in front of Django's handler (~0.2 ms) one worker could go without a request
    for hundreds of them."""
    pick = random.Random(9)  # gunicorn's workers take turns: a fixed order of paths could pair each with one worker
    wanted = {(path, str(pid)) for path in paths for pid in server.worker_pids()}
    responses = []
    with ThreadPoolExecutor(max_workers=WORKERS + 1) as pool:
        while len(responses) < limit:
            batch = [pick.choice(paths) for _ in range(WORKERS + 1)]
            for path, response in zip(batch, pool.map(lambda path: Client(server.port).get(path), batch), strict=True):
                responses.append((path, response))
                wanted.discard((path, response.headers["x-worker-pid"]))
            if not wanted:
                return responses
    raise AssertionError(f"no answer in {len(responses)} requests for {sorted(wanted)}")


@pytest.mark.parametrize("how", ["admin over HTTP", "service"])
def test_an_unpublish_is_seen_by_every_worker_at_once(site, django_user_model, how):
    server, _ = site
    story = make_article("Robots fold laundry", slug="robots-fold-laundry")
    make_article("Chip makers race ahead")
    paths = ["/", f"/articles/{story.slug}/", "/api/articles/"]
    before = from_every_worker(server, paths)
    assert all(response.status == 200 and story.slug in response.text for _, response in before)

    if how == "service":
        editor = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
        unpublish_articles(articles=Article.objects.filter(pk=story.pk), by=editor)
    else:
        django_user_model.objects.create_superuser("editor", "editor@example.com", "a-long-editor-password")
        admin = Editor(server.port)
        admin.login("editor", "a-long-editor-password")
        admin.set_published(story.pk, False)
    # Once the unpublish has returned, no worker may show the story again: not a single stale answer.
    after = from_every_worker(server, paths)
    leaks = [(path, r.headers["x-worker-pid"]) for path, r in after if story.slug in r.text or (r.status == 200 and
             path.startswith("/articles/"))]  # fmt: skip
    assert leaks == []


def test_a_page_cached_before_an_import_shows_the_import(site, tmp_path):
    server, env = site
    make_article("Already out")
    assert all("Harbor lights" not in r.text for _, r in from_every_worker(server, ["/"]))
    published = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "item.md").write_text(
        "---\ntitle: Harbor lights go automatic\ncategory: news\ntype: article\n"
        f"publishedDateTime: {published}\nwebUrl: https://news.example.org/harbor-lights\npublished: true\n"
        "provider:\n  name: Example News\n  domain: news.example.org\n---\n"
    )
    result = manage("import_articles", str(tmp_path), "--trust-published", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all("Harbor lights go automatic" in r.text for _, r in from_every_worker(server, ["/"]))
