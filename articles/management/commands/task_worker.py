"""`db_worker` (django-tasks-db) that first takes back the tasks of workers that died on this machine.

A worker killed in the middle of a task (`kill -9`, a crash, the machine's OOM killer) leaves its task
marked RUNNING for ever: django-tasks-db has no lease. This worker's id names its host, process id and
process start time, so a later worker on the same host can tell that the process holding a RUNNING task
is gone and put the task back in the queue. Tasks of a host that never returns are taken back once they
have been RUNNING longer than `--requeue-after` minutes. Our tasks (image caching) are idempotent, so
running one again is safe. `manage.py serve` runs this command.
"""

import os
import socket
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

HOST = socket.gethostname()[:40]


def process_started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (tells a process from a later one with its pid)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def this_worker_id() -> str:
    return f"{HOST}:{os.getpid()}:{process_started(os.getpid())}"


def is_dead_here(worker_id: str) -> bool:
    """Whether `worker_id` names a worker of this host whose process is gone."""
    host, _, rest = worker_id.partition(":")
    pid, _, started = rest.partition(":")
    if host != HOST or not pid.isdigit() or not started:
        return False
    return process_started(int(pid)) != started


def requeue_orphaned_tasks(*, older_than: timedelta) -> int:
    """Put back in the queue the RUNNING tasks whose worker is dead; returns how many."""
    with transaction.atomic():
        running = DBTaskResult.objects.running().select_for_update(skip_locked=True)
        stale = timezone.now() - older_than
        orphans = [
            task.id
            for task in running.only("id", "worker_ids", "started_at")
            if (task.worker_ids and is_dead_here(task.worker_ids[-1])) or (task.started_at and task.started_at < stale)
        ]
        return DBTaskResult.objects.filter(id__in=orphans).update(status=TaskResultStatus.READY, started_at=None)


class Command(DbWorkerCommand):
    help = "Run the background task worker, first requeueing tasks left RUNNING by dead workers"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--requeue-after",
            type=float,
            default=60,
            help="minutes after which a RUNNING task of any host is taken back (default 60)",
        )
        parser.set_defaults(worker_id=this_worker_id(), reload=False)

    def handle(self, *args, requeue_after: float, **options):
        requeued = requeue_orphaned_tasks(older_than=timedelta(minutes=requeue_after))
        if requeued:
            self.stderr.write(f"task_worker: requeued {requeued} task(s) left running by dead workers")
        super().handle(*args, **options)
