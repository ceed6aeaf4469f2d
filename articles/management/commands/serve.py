"""`manage.py serve` (`make serve`): the production processes of one app server, started with one command.

Before serving it migrates (which also creates the database cache's tables), collects static files and runs
`check --deploy --fail-level WARNING`, all with the settings the servers will run with (the environment);
`--check` runs only the check. Then it starts gunicorn (WEB_CONCURRENCY sync workers, default 2 per core + 1)
and TASK_WORKERS task workers (`manage.py task_worker`, default 1), restarts a task worker that dies, and on
SIGTERM or Ctrl-C stops them all and waits for them: gunicorn finishes the requests in flight, a task worker
its current task.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 30


def default_web_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Migrate, collect static files, check --deploy, then run gunicorn and the task workers"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only run `check --deploy --fail-level WARNING`")
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"), help="gunicorn's address")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None)
        parser.add_argument("--task-workers", type=int, default=int(os.environ.get("TASK_WORKERS", 1)))
        parser.add_argument("--no-migrate", action="store_true", help="skip migrations (another server ran them)")
        # bench/soak and the multi-worker tests serve harness.wsgi:application, which names the worker in a header.
        parser.add_argument("--app", default="newsroom.wsgi:application", help="the WSGI application to serve")

    def handle(self, *, check, bind, workers, task_workers, no_migrate, app, **options):
        if settings.DEBUG:
            raise CommandError("serve runs production settings: unset DJANGO_DEBUG (use `make run` to develop)")
        if not check:
            if not no_migrate:
                call_command("migrate", interactive=False, verbosity=1)
            call_command("collectstatic", interactive=False, verbosity=0)
        # Raises SystemCheckError (exit status 1) on any warning: nothing starts with an insecure setting.
        call_command("check", deploy=True, fail_level="WARNING")
        if check:
            return
        Supervisor(
            web=[str(Path(sys.executable).with_name("gunicorn")), app, "--bind", bind,
                 "--workers", str(workers or default_web_workers()), "--graceful-timeout", str(GRACE_SECONDS - 5)],
            task=[sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "task_worker"],
            task_workers=task_workers,
            log=self.stderr.write,
        ).run()  # fmt: skip


class Supervisor:
    """Runs gunicorn and the task workers until a signal; restarts task workers that die."""

    def __init__(self, *, web: list[str], task: list[str], task_workers: int, log):
        self.web_args = web
        self.task_args = task
        self.log = log
        self.web: subprocess.Popen | None = None
        self.tasks: list[subprocess.Popen | None] = [None] * task_workers
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.web = subprocess.Popen(self.web_args, cwd=settings.BASE_DIR)
        self.log(f"serve: gunicorn (pid {self.web.pid}) and {len(self.tasks)} task worker(s)")
        try:
            while not self.stopping:
                if self.web.poll() is not None:
                    raise CommandError(f"gunicorn exited with status {self.web.returncode}")
                for index, process in enumerate(self.tasks):
                    if process is None or process.poll() is not None:
                        if process is not None:
                            self.log(f"serve: task worker {process.pid} exited ({process.returncode}); restarting")
                        self.tasks[index] = subprocess.Popen(self.task_args, cwd=settings.BASE_DIR)
                time.sleep(0.5)
        finally:
            self._shutdown()

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _shutdown(self) -> None:
        running = [p for p in [self.web, *self.tasks] if p is not None and p.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log("serve: stopped")
