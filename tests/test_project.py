import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.conftest import REPO


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="DATABASE_URL is not a PostgreSQL URL (make test and .ci/run always set one)",
)
def test_a_postgresql_database_url_is_what_the_tests_run_on(settings):
    # `make test` exports DATABASE_URL for its private cluster; guard against silently testing SQLite there.
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _manage(*args, env=None):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-from-the-environment-0123456789",
        "DJANGO_ALLOWED_HOSTS": "news.example.com",
        "DATABASE_URL": "sqlite:////tmp/newsroom-check.sqlite3",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret():
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": "sqlite:////tmp/newsroom-check.sqlite3"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_ruff_lint_and_format_are_clean():
    ruff = os.path.join(os.path.dirname(sys.executable), "ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
