"""The soak: the whole stack on 127.0.0.1 under readers, an editor, an import and faults, then its verdict.

One scenario, two sizes: `bench/soak` runs `SoakPlan.full()` (minutes) and prints the table;
tests/infra/test_soak.py runs `SoakPlan.short()` (seconds) and asserts the same checks.

The stack is what `make serve` starts: `manage.py serve` (gunicorn workers plus the task worker it restarts)
on a PostgreSQL cluster and a Redis of its own, and a local image server. Meanwhile:
  - readers (threads) request home, top, topic, article, search and API pages without pause;
  - an editor, logged in to the admin, unpublishes or re-publishes one of a few stories every second;
  - a batch from gen_corpus.py is imported, killed with SIGKILL after its first half, and imported again;
  - one gunicorn worker and the task worker are killed with SIGKILL while image tasks run;
  - PostgreSQL is restarted (`pg_ctl restart -m fast`), then stopped for a while (an outage), then Redis
    is restarted.
Checks and figures: harness/verdict.py.
"""

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from articles.stories.cursor import Cursor
from harness.http import Client, Editor, Response
from harness.services import (
    REPO,
    PostgresCluster,
    RedisServer,
    free_port,
    manage,
    production_env,
    stop_process_group,
    wait_until,
)
from harness.verdict import Sample, SoakResult, checksums, judge, mentions, table

EDITOR_STORIES = 5


@dataclass(frozen=True)
class SoakPlan:
    items: int  # the batch imported (and killed halfway)
    readers: int
    web_workers: int
    quiet: float  # seconds of each calm phase
    settle: float  # seconds of load after each fault
    outage: float  # seconds PostgreSQL stays stopped
    images: int  # image URLs served slowly by the local image server while the task worker is killed
    image_delay: float
    recovery_limit: float = 2.0  # seconds after PostgreSQL is back within which no answer may fail
    healthz_limit: float = 1.0  # seconds within which /healthz answers 503 while PostgreSQL is away

    @classmethod
    def full(cls) -> "SoakPlan":
        return cls(items=20_000, readers=32, web_workers=4, quiet=15, settle=10, outage=20, images=150, image_delay=1.5)

    @classmethod
    def short(cls) -> "SoakPlan":
        """The test suite's: the same checks, with timing limits loose enough for a busy CI machine (there the
        test asserts that the site recovers and answers; the figures are bench/soak's)."""
        return cls(items=1_200, readers=6, web_workers=4, quiet=2, settle=3, outage=2, images=60, image_delay=0.6,
                   recovery_limit=10.0, healthz_limit=5.0)  # fmt: skip


class Soak:
    def __init__(self, plan: SoakPlan, corpus: Path, *, log=print):
        self.plan = plan
        self.corpus = corpus
        self.log = log
        self.result = SoakResult()
        self.stop_load = threading.Event()
        self.lock = threading.Lock()
        self.editor_slugs: list[str] = []
        self.paths: list[str] = []
        self.tasks_before_kill: set = set()

    # ------------------------------------------------------------------ the run
    def run(self) -> SoakResult:
        from tests.images.samples import photo
        from tests.images.server import ImageServer

        images = ImageServer().start()
        try:
            with PostgresCluster(max_connections=200) as cluster, RedisServer(maxmemory="128mb") as redis:
                self.cluster, self.redis = cluster, redis
                body = photo((800, 500))
                for n in range(self.plan.images):
                    images.serve(f"/soak/{n}.jpg", body, delay=self.plan.image_delay)
                self.images = images
                self._scenario()
        finally:
            images.stop()
        judge(self.result, self.plan)
        return self.result

    def _scenario(self) -> None:
        started = time.monotonic()
        self.env = production_env(
            DATABASE_URL=self.cluster.url(), REDIS_URL=self.redis.url, WEB_CONCURRENCY=str(self.plan.web_workers),
            TASK_WORKERS="1", IMAGE_FETCH_ALLOWED_HOSTS=self.images.allowed, IMAGE_FETCH_READ_TIMEOUT="5",
            MEDIA_ROOT=str(self.cluster.root / "media"),
        )  # fmt: skip
        self.log("migrating and loading the demo batch")
        manage("migrate", "--noinput", env=self.env)
        manage("import_taxonomy", str(REPO / "sample_data" / "taxonomy"), env=self.env)
        manage("import_articles", str(REPO / "sample_data" / "news"), "--trust-published", env=self.env)
        # The state before the batch, kept for the clean import that the soaked database is compared with.
        self.clean_url = self.cluster.create_database("clean", template="postgres")
        password = re.search(r"Password: (\S+)", manage("create_admin", "--username", "editor", env=self.env).stdout)
        self._collect_paths()
        self.log(f"set up in {time.monotonic() - started:.1f} s")
        port = free_port()
        self.port = port
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--no-migrate", "--app", "harness.wsgi:application",
             "--bind", f"127.0.0.1:{port}"],
            cwd=REPO, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=open(self.cluster.root / "serve.log", "w"),  # noqa: SIM115 - closed with the process
        )  # fmt: skip
        self.serve = serve
        try:
            wait_until(self._serving, timeout=90, interval=0.2, what="manage.py serve answering")
            editor = Editor(port)
            editor.login("editor", password.group(1))
            threads = [threading.Thread(target=self._reader, args=(n,), daemon=True) for n in range(self.plan.readers)]
            threads.append(threading.Thread(target=self._editor, args=(editor,), daemon=True))
            for thread in threads:
                thread.start()
            self._phases()
            self.stop_load.set()
            for thread in threads:
                thread.join(timeout=60)
            self._wait_for_tasks()
        finally:
            self.stop_load.set()
            stop_process_group(serve, timeout=40)
        self._compare_with_clean_import()

    def _phases(self) -> None:
        plan = self.plan
        with self._phase("quiet"):
            time.sleep(plan.quiet)
        with self._phase("import"):
            self._import_killed_halfway()
        with self._phase("kills"):
            # Image tasks first, so that the task worker dies in the middle of one.
            self._enqueue_image_tasks()
            wait_until(self._task_running, timeout=60, interval=0.1, what="an image task running")
            self._kill_web_worker()
            self._kill_task_worker()
            time.sleep(plan.settle)
        with self._phase("postgres restart"):
            down = time.monotonic()
            self.cluster.restart()
            self.result.pg_windows.append((down, time.monotonic()))
            time.sleep(plan.settle)
        with self._phase("postgres outage"):
            down = time.monotonic()
            self.cluster.stop()
            back = threading.Event()
            probe = threading.Thread(target=self._probe_healthz, args=(back,), daemon=True)
            probe.start()
            time.sleep(plan.outage)
            back.set()
            probe.join()
            self.cluster.start()
            self.result.pg_windows.append((down, time.monotonic()))
            time.sleep(plan.settle)
        with self._phase("redis restart"):
            down = time.monotonic()
            self.redis.restart()
            self.result.redis_window = (down, time.monotonic())
            time.sleep(plan.settle)
        with self._phase("quiet again"):
            time.sleep(plan.quiet)

    class _PhaseTimer:
        def __init__(self, soak, name):
            self.soak, self.name = soak, name

        def __enter__(self):
            self.start = time.monotonic()
            self.soak.log(f"phase: {self.name}")

        def __exit__(self, *exc):
            self.soak.result.phases.append((self.name, self.start, time.monotonic()))
            self.soak.log(f"phase: {self.name} took {time.monotonic() - self.start:.1f} s")

    def _phase(self, name: str):
        return self._PhaseTimer(self, name)

    # ------------------------------------------------------------------ load
    def _serving(self) -> bool:
        if self.serve.poll() is not None:
            raise RuntimeError(f"manage.py serve exited: see {self.cluster.root / 'serve.log'}")
        try:
            return Client(self.port, timeout=5).get("/healthz").status == 200
        except OSError:
            return False

    def _collect_paths(self) -> None:
        with psycopg.connect(self.cluster.url()) as conn:
            slugs = [row[0] for row in conn.execute("SELECT slug FROM articles_article ORDER BY published_at DESC")]
            topics = [row[0] for row in conn.execute("SELECT slug FROM articles_topic WHERE parent_id IS NULL")]
            # An "Older stories" page: any article's river position starts one (a few stories, with the demo alone).
            older = conn.execute(
                "SELECT published_at, id FROM articles_article ORDER BY published_at DESC, id DESC OFFSET 5 LIMIT 1"
            ).fetchone()
        self.editor_slugs = slugs[:EDITOR_STORIES]
        self.paths = (
            ["/", "/", "/top/", "/api/articles/", "/api/stories/", "/api/topics/", "/search/?q=ai", "/search/?q=robots"]
            + ([f"/?before={Cursor(*older)}"] if older else [])
            + [f"/articles/{slug}/" for slug in slugs]
            + [f"/api/articles/{slug}/" for slug in slugs[:EDITOR_STORIES]]
            + [f"/topics/{slug}/" for slug in topics[:4]]
        )

    def _reader(self, number: int) -> None:
        pick = random.Random(number)
        client = Client(self.port, timeout=30)
        samples = []
        while not self.stop_load.is_set():
            path = pick.choice(self.paths)
            started = time.monotonic()
            try:
                response = client.get(path)
            except OSError:
                samples.append(Sample(path, started, time.monotonic(), 0, "", frozenset()))
                continue
            shown = frozenset(slug for slug in self.editor_slugs if mentions(response.body, slug))
            samples.append(Sample(path, response.started, response.finished, response.status,
                                  response.headers.get("x-worker-pid", ""), shown))  # fmt: skip
        with self.lock:
            self.result.samples += samples

    def _editor(self, editor: Editor) -> None:
        """One action a second, round the editor's stories: each is hidden, then shown, every few seconds."""
        ids = self._article_ids(self.editor_slugs)
        hidden_since: dict[str, float] = {}
        turn = 0
        next_at = time.monotonic()
        while not self.stop_load.is_set():
            next_at += 1.0
            slug = self.editor_slugs[turn % len(self.editor_slugs)]
            publish = slug in hidden_since
            try:
                sent = time.monotonic()
                response: Response = editor.set_published(ids[slug], publish)
            except (OSError, RuntimeError):
                self.result.editor_failures += 1  # PostgreSQL away: tried again at the next turn
            else:
                self.result.editor_actions += 1
                turn += 1
                if publish:
                    self.result.hidden.append((slug, hidden_since.pop(slug), sent))
                else:
                    hidden_since[slug] = response.finished
            time.sleep(max(0.0, next_at - time.monotonic()))
        now = time.monotonic()
        self.result.hidden += [(slug, since, now) for slug, since in hidden_since.items()]

    def _article_ids(self, slugs: list[str]) -> dict[str, int]:
        with psycopg.connect(self.cluster.url()) as conn:
            rows = conn.execute("SELECT slug, id FROM articles_article WHERE slug = ANY(%s)", [slugs]).fetchall()
        return dict(rows)

    def _probe_healthz(self, back: threading.Event) -> None:
        client = Client(self.port, timeout=10)
        while not back.is_set():
            try:
                response = client.get("/healthz")
            except OSError:
                continue
            if not back.is_set():
                self.result.healthz_down.append((response.seconds, response.status))
            time.sleep(0.2)

    # ------------------------------------------------------------------ faults
    def _import_command(self) -> list[str]:
        return [sys.executable, "manage.py", "import_articles", str(self.corpus), "--trust-published"]

    def _import_killed_halfway(self) -> None:
        before = self._article_count()
        importer = subprocess.Popen(self._import_command(), cwd=REPO, env=self.env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_until(lambda: self._article_count() - before >= self.plan.items // 2 or importer.poll() is not None,
                   timeout=900, interval=0.1, what="half the batch imported")  # fmt: skip
        if importer.poll() is not None:
            self.result.failures.append("the import finished before it could be killed halfway: use more items")
        os.killpg(importer.pid, signal.SIGKILL)
        importer.wait()
        self.result.kills["importer"] = time.monotonic()
        self.result.notes.append(f"import killed with {self._article_count() - before} of {self.plan.items} items in")
        rerun = subprocess.run(self._import_command(), cwd=REPO, env=self.env, capture_output=True, text=True)
        if rerun.returncode != 0:
            self.result.failures.append(f"the re-run of the import failed: {rerun.stderr[-500:]}")

    def _article_count(self) -> int:
        try:
            with psycopg.connect(self.cluster.url(), connect_timeout=2) as conn:
                return conn.execute("SELECT count(*) FROM articles_article").fetchone()[0]
        except psycopg.OperationalError:
            return 0

    def _enqueue_image_tasks(self) -> None:
        """Items whose images live on the slow local image server, and image tasks for just those images."""
        directory = self.cluster.root / "image-items"
        directory.mkdir(exist_ok=True)
        for n in range(self.plan.images):
            (directory / f"{n}.md").write_text(
                f"---\ntitle: Soak picture {n}\ncategory: news\ntype: article\n"
                "publishedDateTime: 2020-01-01T00:00:00Z\n"
                f"webUrl: https://soak.example.org/{n}\nimages:\n  - url: {self.images.url(f'/soak/{n}.jpg')}\n"
                "provider:\n  name: Soak Pictures\n  domain: soak.example.org\n---\n"
            )
        manage("import_articles", str(directory), env=self.env)
        # Only these images: the batch's own image URLs point at hosts that loopback-only runs cannot reach.
        enqueue = (
            "from itertools import batched\n"
            "from articles.models import Image\n"
            "from articles.images.tasks import cache_image_batch\n"
            f"hashes = sorted(set(Image.objects.filter(url__startswith={self.images.url('/soak/')!r})"
            ".values_list('url_hash', flat=True)))\n"
            "for chunk in batched(hashes, 20):\n"
            "    cache_image_batch.enqueue(url_hashes=list(chunk))\n"
        )
        manage("shell", "-c", enqueue, env=self.env)

    def _task_running(self) -> bool:
        with psycopg.connect(self.cluster.url()) as conn:
            running = conn.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'")
            return running.fetchone()[0] > 0

    def _children(self, pid: int) -> list[int]:
        try:
            return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def _command_line(self, pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return ""

    def _kill_web_worker(self) -> None:
        [master] = [pid for pid in self._children(self.serve.pid) if "gunicorn" in self._command_line(pid)]
        victim = self._children(master)[-1]
        os.kill(victim, signal.SIGKILL)
        self.result.kills["web worker"] = time.monotonic()
        self.result.killed_worker = str(victim)

    def _kill_task_worker(self) -> None:
        [worker] = [pid for pid in self._children(self.serve.pid) if "task_worker" in self._command_line(pid)]
        with psycopg.connect(self.cluster.url()) as conn:
            self.tasks_before_kill = {
                row[0] for row in conn.execute("SELECT id FROM django_tasks_database_dbtaskresult").fetchall()
            }
        os.kill(worker, signal.SIGKILL)
        self.result.kills["task worker"] = time.monotonic()

    def _wait_for_tasks(self) -> None:
        def finished() -> bool:
            with psycopg.connect(self.cluster.url()) as conn:
                rows = conn.execute(
                    "SELECT id, status FROM django_tasks_database_dbtaskresult WHERE id = ANY(%s)",
                    [list(self.tasks_before_kill)],
                ).fetchall()
            self.result.tasks = dict(sorted(Counter(status for _, status in rows).items()))
            return all(status in ("SUCCESSFUL", "FAILED") for _, status in rows)

        with contextlib.suppress(TimeoutError):  # judged from self.result.tasks
            wait_until(finished, timeout=180, interval=0.5, what="image tasks finished")

    # ------------------------------------------------------------------ no loss
    def _compare_with_clean_import(self) -> None:
        self.log("clean import of the same batch, for comparison")
        clean = self.clean_url
        manage("import_articles", *self._import_command()[3:], env={**self.env, "DATABASE_URL": clean}, check=False)
        # Automatic topics (learned from the archive) and stories (word rarity) are derived from what the database
        # held when each item came in, so a resumed import legitimately differs from a clean one until both are
        # brought in line with the whole batch; after that, everything must be equal.
        for url in (self.cluster.url(), clean):
            for command in ("assign_topics", "cluster_stories"):
                manage(command, env={**self.env, "DATABASE_URL": url})
        after, reference = checksums(self.cluster.url(), str(self.corpus)), checksums(clean, str(self.corpus))
        self.result.data_checksums = {kind: (after[kind], reference[kind]) for kind in after}

    # ------------------------------------------------------------------ verdict

    def table(self) -> list[str]:
        return table(self.result)
