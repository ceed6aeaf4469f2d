"""One tree's in-process loop for bench/hit_speed: run with the tree as the working directory and on PYTHONPATH;
prints the CPU per hit of the process and of its PostgreSQL backend (µs)."""

import io
import os
import sys
import time


def backend_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop(path: str, hits: int) -> None:
    """In a process of its own, with the tree to measure first on sys.path and as the working directory."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    from newsroom.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "", "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk", "HTTP_ACCEPT": "*/*",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000",
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }  # fmt: skip
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def hit():
        result = application({**environ, "wsgi.input": io.BytesIO(b"")}, start_response)
        b"".join(result)
        getattr(result, "close", lambda: None)()

    for _ in range(3):
        hit()
    backend = None
    if "CACHE_URL" not in os.environ:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    statuses.clear()
    cpu, postgres = time.process_time(), backend_cpu(backend)
    for _ in range(hits):
        hit()
    cpu, postgres = time.process_time() - cpu, backend_cpu(backend) - postgres
    if statuses != ["200 OK"] * hits:
        sys.exit(f"hit_speed: {path} answered {sorted(set(statuses))}")
    print(f"{cpu * 1e6 / hits:.1f} {postgres * 1e6 / hits:.1f}")


if __name__ == "__main__":
    loop(sys.argv[1], int(sys.argv[2]))
