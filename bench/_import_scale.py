"""Implementation of bench/import_scale (run that wrapper, not this file: it picks the venv and PostgreSQL).

Does the import keep its pace as the archive grows? Against a fresh PostgreSQL database, one first import of N
generated items (default 1,000,000) with the rate and the CPU per file of every slice of S files (default
100,000), the peak memory of the whole process tree, then a re-import of the unchanged batch.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from _common import REPO, drop_database, ensure_corpus, fresh_database, server_url
from _import_speed import DEFAULT_TAXONOMY, TreeRssSampler, _proc_cpu, manage, run_import, server_cpu_seconds

TARGET_SLOWDOWN = 0.20  # the last slice at most 20% slower than the first
TARGET_PEAK_RSS_MB = 300  # at 1,000,000 items
TARGET_REIMPORT_SPEEDUP = 10.0


def log(message: str) -> None:
    print(f"import_scale: {message}", file=sys.stderr, flush=True)


def tree_cpu(root_pid: int, seen: dict[int, float]) -> float:
    """CPU seconds so far of a process tree (the import and its parser workers): `seen` keeps the last figure of
    processes that exited since (the workers, before the import's last files are reported)."""
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        try:
            seen[pid] = _proc_cpu(pid)
        except OSError:
            continue
        stack += TreeRssSampler._children(pid)
    return sum(seen.values())


class SliceClock(threading.Thread):
    """Follows the import's JSON report (one line per file, in the order the files are done) and notes, at every
    `size` files, the time and the CPU used so far by the import's process tree and by PostgreSQL."""

    def __init__(self, report: Path, size: int, db_url: str, interval: float = 0.2):
        super().__init__(daemon=True)
        self.report, self.size, self.db_url, self.interval = report, size, db_url, interval
        self.marks: list[tuple[int, float, float, float | None]] = []  # (files, seconds, tree CPU, server CPU)
        self.root_pid: int | None = None
        self.seen: dict[int, float] = {}
        self._halt = threading.Event()

    def mark(self, files: int) -> None:
        cpu = tree_cpu(self.root_pid, self.seen) if self.root_pid else 0.0
        self.marks.append((files, time.perf_counter(), cpu, server_cpu_seconds(self.db_url)))

    def run(self) -> None:
        while not self.report.exists() and not self._halt.is_set():
            self._halt.wait(self.interval)
        self.root_pid = _importer_pid()
        self.mark(0)
        lines, next_mark = 0, self.size
        with open(self.report, "rb") as handle:
            while True:
                chunk = handle.read(1 << 20)
                if chunk:
                    lines += chunk.count(b"\n")
                    # The first line is the report's opening bracket; each file adds one.
                    while lines - 1 >= next_mark:
                        self.mark(next_mark)
                        next_mark += self.size
                elif self._halt.is_set():
                    return
                else:
                    if self.root_pid:
                        tree_cpu(self.root_pid, self.seen)
                    self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _importer_pid() -> int | None:
    """The running `import_articles` process (this benchmark starts one at a time)."""
    for pid in TreeRssSampler._children(os.getpid()):
        for candidate in [pid, *TreeRssSampler._children(pid)]:
            try:
                command = Path(f"/proc/{candidate}/cmdline").read_bytes()
            except OSError:
                continue
            if b"import_articles" in command and b"/usr/bin/time" not in command.split(b"\0")[0]:
                return candidate
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/import_scale", description=__doc__.split("\n")[2])
    parser.add_argument("--count", type=int, default=1_000_000, help="items to generate and import (default 1000000)")
    parser.add_argument("--slice", type=int, default=100_000, help="files per measured slice (default 100000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="import_articles --jobs (default: cores)")
    parser.add_argument("--db-name", default="bench_import_scale", help="database created (and dropped) for the run")
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database in place afterwards")
    parser.add_argument(
        "--taxonomy",
        default=str(DEFAULT_TAXONOMY) if DEFAULT_TAXONOMY.is_dir() else "",
        help="import_taxonomy this directory first (default: the shared corpus' _data; '' for none)",
    )
    args = parser.parse_args()
    if args.count < 1 or args.jobs < 1 or args.slice < 1:
        parser.error("--count, --slice and --jobs must be at least 1")

    admin_url = server_url("import_scale")
    directory = ensure_corpus(args.count, log)
    size_gb = sum(f.stat().st_size for f in directory.rglob("*.md")) / 1e9
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    db_url = fresh_database(admin_url, args.db_name)
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {"DATABASE_URL": db_url, "DJANGO_SECRET_KEY": "bench-only-not-secret", "PYTHONUNBUFFERED": "1"}
    report = Path(REPO / "bench" / ".data" / f"import_scale-{os.getpid()}.json")
    try:
        log(f"migrating fresh database {args.db_name}")
        manage(["migrate", "--noinput"], env)
        if args.taxonomy:
            manage(["import_taxonomy", args.taxonomy], env)
        clock = SliceClock(report, args.slice, db_url)
        clock.start()
        try:
            first = run_import(directory, args.jobs, env, label="first import", extra_args=["--report", str(report)])
        finally:
            clock.stop()
        report.unlink(missing_ok=True)
        second = run_import(directory, args.jobs, env, label="re-import")
    finally:
        report.unlink(missing_ok=True)
        if not args.keep_db:
            drop_database(admin_url, args.db_name)

    n = args.count
    print()
    print(f"Import at scale: N={n:,} items, jobs={args.jobs}, PostgreSQL, {os.cpu_count()} CPU(s)")
    print(f"  corpus: {directory.relative_to(REPO)} ({size_gb:,.1f} GB)")
    print(f"  first import: {first['summary']}")
    print(f"  re-import:    {second['summary']}")
    print()
    print(
        f"{'files':>19}  {'seconds':>8}  {'files/s':>8}  {'vs first':>8}  {'CPU/file: import':>16}  {'PostgreSQL':>10}"
    )
    rates, cpus = [], []
    for (start, t0, c0, s0), (end, t1, c1, s1) in zip(clock.marks, clock.marks[1:], strict=False):
        files, seconds = end - start, t1 - t0
        rate = files / seconds
        rates.append(rate)
        server = (s1 - s0) / files * 1e6 if s0 is not None and s1 is not None else None
        cpus.append((c1 - c0) / files * 1e6 + (server or 0))
        print(
            f"{start + 1:>9,}-{end:<9,}  {seconds:>8.1f}  {rate:>8,.0f}  {rate / rates[0]:>8.0%}"
            f"  {(c1 - c0) / files * 1e6:>13,.0f} us  {server or 0:>7,.0f} us"
        )
    print()
    slowdown = 1 - rates[-1] / rates[0] if rates else 0
    cpu_growth = cpus[-1] / cpus[0] - 1 if cpus else 0
    tree_mb = max(first["tree_peak_kb"], second["tree_peak_kb"]) / 1024
    speedup = first["wall"] / second["wall"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"{'measure':<48} {'value':>12}   {'target (issue)':<22} status")
    print("-" * 96)
    print(f"{'first import, whole batch':<48} {n / first['wall']:>8,.0f} /s")
    print(
        f"{'last slice slower than the first by (wall clock)':<48} {slowdown:>12.0%}   {'<= 20%':<22}"
        f" {verdict(slowdown <= TARGET_SLOWDOWN)}"
    )
    print(f"{'  CPU per file, last slice vs first':<48} {cpu_growth:>+12.0%}   (steadier on a busy machine)")
    print(
        f"{'peak RSS, import process tree (sum)':<48} {tree_mb:>9,.0f} MB   {'< 300 MB':<22}"
        f" {verdict(tree_mb < TARGET_PEAK_RSS_MB)}"
    )
    print(
        f"{'  peak PSS, tree (sum)':<48} {max(first['tree_peak_pss_kb'], second['tree_peak_pss_kb']) / 1024:>9,.0f} MB"
    )
    print(
        f"{'re-import of the unchanged batch':<48} {n / second['wall']:>8,.0f} /s   {'>= 10x the first':<22}"
        f" {verdict(speedup >= TARGET_REIMPORT_SPEEDUP)}"
    )
    print(f"{'  speed-up':<48} {speedup:>11.1f}x")
    print()
    print(
        f"load average at start {load_start}, at end {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
        f"{os.cpu_count()} CPU(s); the first slice includes start-up (Django, parser workers, the topic matcher)."
    )


if __name__ == "__main__":
    main()
