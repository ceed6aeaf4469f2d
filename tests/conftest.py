from pathlib import Path

import pytest

from tests import shared

REPO = shared.REPO


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with autovacuum off for its tables.

    Rolled-back tests leave dead rows; autovacuum then records the tables as empty (reltuples = 0), and a later
    test writing thousands of rows in its own transaction gets nested-loop plans over them: one DELETE in the
    loader took many minutes on a busy machine. Untouched, the planner sizes tables from their pages instead.
    """
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in connection.introspection.table_names(include_views=False):
                    cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} SET (autovacuum_enabled = off)")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real item files live beside the repo (their texts belong to their outlets, so never copied in)."""
    return shared.need(shared.corpus_dir(), "the real corpus")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Tests send thousands of requests from one address; the rate-limit tests set their own low limits."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """Django caches content type ids per process; a test that rolled back content types it created (the migration
    tests) would leave ids behind that a later test, committing for real, cannot reference."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def write_item(tmp_path):
    """Write an item file with the given front matter text (or bytes) and return its path."""

    def write(text: str | bytes, name: str = "item.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    return write


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    import os

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/install-system-packages)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
