"""PostgreSQL stopped and restarted under real gunicorn workers: 503 while away, no failed request after.

The cluster is the test's own (harness.PostgresCluster), so that pg_ctl can stop it; the workers run the
production settings with the public page cache off, so that every page needs the database.
"""

import pytest
from django.db import ProgrammingError
from django.test import RequestFactory

from harness.http import Client
from harness.services import Gunicorn, PostgresCluster, manage, production_env, wait_until
from newsroom.errors import DatabaseUnavailableMiddleware
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cluster():
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def site(cluster):
    env = production_env(DATABASE_URL=cluster.url(), PUBLIC_PAGE_CACHE="0")
    manage("migrate", "--noinput", env=env)
    manage("import_articles", str(REPO / "sample_data" / "news"), "--trust-published", env=env)
    with Gunicorn(env, workers=2) as server:
        yield Client(server.port)


@pytest.fixture
def database_up(cluster, site):
    if not (cluster.data / "postmaster.pid").exists():
        cluster.start()
    wait_until(lambda: site.get("/").status == 200, timeout=30, what="the site serving again")
    return cluster


def test_a_restart_never_fails_a_request(site, database_up):
    # Every worker holds pooled connections opened before the restart.
    assert {site.get("/").status for _ in range(20)} == {200}
    database_up.restart()  # returns once PostgreSQL accepts connections again
    statuses = [site.get(path).status for _ in range(10) for path in ("/", "/top/", "/api/articles/")]
    assert set(statuses) == {200}


def test_while_the_database_is_down_readers_get_a_503_page_and_the_site_recovers(site, database_up):
    assert site.get("/").status == 200
    database_up.stop()
    health = site.get("/healthz")
    assert health.status == 503
    assert b'"database": "unavailable"' in health.body
    page = site.get("/")
    assert page.status == 503
    assert page.headers["retry-after"].isdigit()
    assert "Back in a moment" in page.text and "newsroom" in page.text and ".css" in page.text
    assert "Traceback" not in page.text and "OperationalError" not in page.text
    assert page.headers["cache-control"] == "no-store"
    database_up.start()
    # Recovers by itself: no restart of the workers. Each worker's pool tries again at its own pace (within about
    # one retry interval, newsroom/db_pool.py; the time it takes is bench/soak's figure): one worker may still answer
    # 503 after the other's first 200, so the site has recovered when ten answers in a row are 200.
    wait_until(lambda: {site.get("/").status for _ in range(10)} == {200}, timeout=30, what="every worker serving")
    assert site.get("/healthz").status == 200


@pytest.fixture(scope="module")
def cached_site(cluster, site):
    """The same database, pages cached in it (production's default shared cache): repeated hits are answered in
    front of Django's handler (newsroom/wsgi_hits.py), each after one read of the version on the worker's own
    connection."""
    with Gunicorn(production_env(DATABASE_URL=cluster.url()), workers=2) as server:
        yield Client(server.port)


def test_hits_in_front_of_the_handler_never_fail_through_a_restart_and_get_the_503_page_while_it_is_down(
    cached_site, database_up
):
    assert {cached_site.get("/").status for _ in range(20)} == {200}  # each worker: a miss, then hits
    database_up.restart()
    assert {cached_site.get("/").status for _ in range(20)} == {200}
    database_up.stop()
    pages = [cached_site.get("/") for _ in range(4)]
    assert {page.status for page in pages} == {503} and all("Back in a moment" in page.text for page in pages)
    database_up.start()
    wait_until(lambda: cached_site.get("/").status == 200, timeout=30, what="the site serving again")
    assert {cached_site.get("/").status for _ in range(10)} == {200}


def test_other_database_errors_stay_errors():
    request = RequestFactory().get("/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(request, ProgrammingError("relation does not exist")) is None
