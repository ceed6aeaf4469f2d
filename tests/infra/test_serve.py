"""`make serve` (`manage.py serve`): its preflight, its processes, its clean shutdown; task_worker's recovery."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.management.commands.task_worker import HOST, requeue_orphaned_tasks, this_worker_id
from harness.http import Client
from harness.services import free_port, production_env, wait_until
from tests.conftest import REPO

SECRET = "a-production-secret-from-the-environment-0123456789abcdefghij"


def deployment_env(**overrides: str) -> dict[str, str]:
    """What README's Deployment section sets: secrets and addresses from the environment, HTTPS behind a proxy."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "news.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://news.example.com",
        "DJANGO_BEHIND_TLS_PROXY": "1",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:////tmp/newsroom-check.sqlite3"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    return {**env, **overrides}


def serve(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "manage.py", "serve", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_serve_checks_deploy_with_its_own_settings():
    result = serve("--check", env=deployment_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_serve_refuses_settings_that_fail_check_deploy():
    result = serve("--check", env=deployment_env(DJANGO_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    debug = serve("--check", env=deployment_env(DJANGO_DEBUG="1"))
    assert debug.returncode != 0 and "unset DJANGO_DEBUG" in debug.stderr


def descendants(pid: int) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += [int(child), *descendants(int(child))]
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def task_workers(pid: int) -> list[int]:
    return [child for child in descendants(pid) if "task_worker" in command_line(child)]


@pytest.mark.django_db(transaction=True)
def test_serve_runs_gunicorn_and_a_task_worker_restarts_it_and_stops_both():
    if connection.vendor != "postgresql":
        pytest.skip("serves the test database over several processes: PostgreSQL only")
    name = connection.settings_dict["NAME"]
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    port = free_port()
    env = production_env(DATABASE_URL=url, WEB_CONCURRENCY="2", TASK_WORKERS="1", BIND=f"127.0.0.1:{port}",
                         REDIS_URL=os.environ.get("REDIS_URL", ""))  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-migrate"], cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        client = Client(port)
        wait_until(lambda: _answers(client, process), timeout=60, what="make serve answering")
        assert client.get("/").status == 200
        processes = descendants(process.pid)
        gunicorn = [pid for pid in processes if "gunicorn" in command_line(pid)]
        assert len(gunicorn) == 3  # the master and WEB_CONCURRENCY workers
        [worker] = task_workers(process.pid)
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: task_workers(process.pid) not in ([], [worker]), timeout=30, what="task worker restarted")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert "serve: stopped" in stderr
        assert not [pid for pid in processes if Path(f"/proc/{pid}").exists() and command_line(pid)]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(client: Client, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"serve exited: {process.stderr.read()}")
    try:
        return client.get("/healthz").status == 200
    except OSError:
        return False


def _task(worker_id: str, *, started_minutes_ago: float = 0) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="articles.images.tasks.cache_pending_images",
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago),
        worker_ids=[worker_id],
    )


def test_a_task_left_running_by_a_dead_worker_goes_back_to_the_queue(db):
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = _task(f"{HOST}:{dead.pid}:12345")
    alive = _task(this_worker_id())
    elsewhere = _task("other-host:1:1")
    abandoned = _task("other-host:2:2", started_minutes_ago=120)
    assert requeue_orphaned_tasks(older_than=timedelta(minutes=60)) == 2
    statuses = {task.pk: task.status for task in DBTaskResult.objects.all()}
    assert statuses[orphan.pk] == statuses[abandoned.pk] == TaskResultStatus.READY
    assert statuses[alive.pk] == statuses[elsewhere.pk] == TaskResultStatus.RUNNING
