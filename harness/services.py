"""The real pieces of the stack, started privately on 127.0.0.1 and stopped by their owner.

PostgreSQL (a cluster of its own, so that it can be stopped and restarted with pg_ctl), Redis, gunicorn and
the task worker (`manage.py db_worker`). Each class starts its process in a new session and stops it (and
its children) in `stop()`; used as context managers they stop whatever happens. Tests and `bench/soak` share
them.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, interval: float = 0.05, what: str = "condition") -> float:
    """Poll `condition` until it is true; return the seconds it took, or raise TimeoutError after `timeout`."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)


def stop_process_group(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (scripts/install-system-packages)")
    return found


class _Service:
    """A process started in a new session: `stop()` ends it and its children; `with` stops it whatever happens."""

    process: subprocess.Popen | None = None

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class PostgresCluster:
    """A throw-away cluster: initdb'ed in a temporary directory, durability off, trust auth on 127.0.0.1."""

    def __init__(self, *, max_connections: int = 100):
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pwd.getpwnam("postgres")  # created by Debian's postgresql package
            shutil.chown(self.root, "postgres")
        self._run(pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(arg) for arg in args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Output to a file, not a pipe: a server started by pg_ctl inherits it and would hold a pipe open.
        with open(self.root / "pg_ctl.out", "w+") as out:
            result = subprocess.run(
                command, cwd=self.root, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False
            )
            out.seek(0)
            output = out.read()
        if check and result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
        return result

    @property
    def _server_options(self) -> list[str]:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes=off -c max_connections={self.max_connections}"
        )
        return ["-o", options, "-l", str(self.root / "server.log")]

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PostgresCluster":
        self._run(pg_bin("pg_ctl"), "-D", self.data, *self._server_options, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart`: returns once the server accepts connections again."""
        self._run(pg_bin("pg_ctl"), "-D", self.data, *self._server_options, "-m", mode, "-w", "restart")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str, *, template: str = "template1") -> str:
        """A new database; a copy of `template` (no one may be connected to it meanwhile)."""
        self._run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-T", template, name)
        return self.url(name)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()


class RedisServer(_Service):
    """Debian's redis-server with no persistence and an LRU memory bound, like scripts/with-redis."""

    def __init__(self, *, maxmemory: str = "64mb"):
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-redis-", dir="/tmp"))
        self.port = free_port()
        self.maxmemory = maxmemory
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        args = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize", "no",
                "--dir", str(self.root), "--logfile", str(self.root / "redis.log"), "--save", "",
                "--appendonly", "no", "--maxmemory", self.maxmemory, "--maxmemory-policy", "allkeys-lru"]  # fmt: skip
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until(self.answers, timeout=10, what="redis-server answering PING")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and time out, as in a network split; data is kept."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def destroy(self) -> None:
        if self.process is not None:
            self.resume()
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __exit__(self, *exc):
        self.destroy()


def production_env(**overrides: str) -> dict[str, str]:
    """Production settings, unchanged, for a stack on 127.0.0.1 behind an imaginary TLS proxy (harness.http)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(REPO)),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SECRET_KEY": "stack-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_BEHIND_TLS_PROXY": "1",
    }
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
        check=check,
    )  # fmt: skip


class Gunicorn(_Service):
    """gunicorn's sync workers on 127.0.0.1; `worker_pids()` lists the live workers."""

    def __init__(
        self, env: dict[str, str], *, workers: int = 3, app: str = "newsroom.wsgi:application", log: Path | None = None
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [str(VENV_BIN / "gunicorn"), app, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                     "--graceful-timeout", "5", "--log-level", "warning", "--pythonpath", str(REPO)]  # fmt: skip
        self.env = env
        self.workers = workers
        self.log = log  # gunicorn's stderr (the site's logs) goes there when given

    def start(self) -> "Gunicorn":
        with self.log.open("wb") if self.log else contextlib.nullcontext() as stderr:
            stdout = subprocess.DEVNULL if stderr else None
            self.process = subprocess.Popen(
                self.args, cwd=REPO, env=self.env, stdout=stdout, stderr=stderr, start_new_session=True
            )
        try:
            wait_until(self._all_workers_up, timeout=60, interval=0.1, what="gunicorn serving /healthz")
        except (RuntimeError, TimeoutError) as error:
            self.stop()
            logs = self.log.read_text(errors="replace") if self.log else "(on stderr)"
            raise RuntimeError(f"gunicorn did not start: {error}\n{logs}") from None
        return self

    def _all_workers_up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
        if len(self.worker_pids()) < self.workers:
            return False
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:  # noqa: S310 - loopback
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]


class TaskWorker(_Service):
    """`manage.py db_worker`, the background task worker."""

    def __init__(self, env: dict[str, str], *, interval: float = 0.2):
        self.env = env
        self.interval = interval

    def start(self) -> "TaskWorker":
        args = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload",
                "--interval", str(self.interval)]  # fmt: skip
        self.process = subprocess.Popen(
            args, cwd=REPO, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return self
