"""Implementation of bench/import_speed (run that wrapper, not this file: it picks the venv and PostgreSQL).

Measures, in one run, against a fresh PostgreSQL database:
  (a) two one-core baselines: parse-only (read + PyYAML's stock CSafeLoader on the front matter), and the
      importer's own parse step (read + `parse_bytes`: its YAML loader, validation, the record), the latter
      also on the same files with an '&' in their text, which real files often have;
  (b) first import into an empty, freshly migrated database (`manage.py import_articles DIR --jobs J`);
  (c) re-import of the unchanged batch (the same command again);
  (d) CPU per file of the import process tree and of PostgreSQL, next to the parse step's;
  (e) peak memory of the whole import process tree (main process + parser workers), summed RSS sampled
      from /proc, and the largest single process (from /usr/bin/time -v, else getrusage).
"""

import argparse
import contextlib
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import yaml
from _common import PYTHON, REPO, drop_database, ensure_corpus, fresh_database, server_url
from psycopg import sql

TIME_BIN = "/usr/bin/time"
DEFAULT_TAXONOMY = REPO.parent / "shared" / "corpus" / "everyday-cc-ai" / "_data"

# Targets from the issues (13: at 100,000 items, faster than one core can parse).
TARGET_IMPORT_RATIO = 1.0  # import items/s >= parse-only files/s on one core
TARGET_REIMPORT_SPEEDUP = 10.0  # re-import >= 10x faster than the first import
TARGET_PEAK_RSS_MB = 300  # for 1,000,000 items (bench/import_scale), so at every N


def log(message: str) -> None:
    print(f"import_speed: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus
def item_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.md"))


# --------------------------------------------------------------------------- (a) baselines
def parse_only(files: list[Path]) -> tuple[float, float, int]:
    """Wall and CPU seconds to read + YAML-load every file on this one core; and how many did not load.

    The front matter is cut out with the importer's own function, so that the baseline is not slowed by a
    cruder split than the import uses; only the YAML loader differs (PyYAML's stock CSafeLoader here).
    """
    sys.path.insert(0, str(REPO))
    from articles.ingest.yamlsafe import FrontMatterError, split_front_matter

    loader = yaml.CSafeLoader
    bad = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for path in files:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8-sig")
        try:
            yaml.load(split_front_matter(text), Loader=loader)  # noqa: S506 - CSafeLoader is a safe loader
        except (FrontMatterError, yaml.YAMLError):
            bad += 1
    return time.perf_counter() - started, time.process_time() - cpu_started, bad


def setup_django() -> None:
    """The importer's modules need settings; nothing here touches the database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    import django

    django.setup()


def parse_step(files: list[Path]) -> tuple[float, float, int]:
    """Wall and CPU seconds of the importer's own parse step on this one core (read + `parse_bytes`: YAML,
    validation, the record it hands the loader); and how many files it rejected."""
    from articles.ingest.parser import parse_bytes

    bad = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        if not parse_bytes(data, str(path)).ok:
            bad += 1
    return time.perf_counter() - started, time.process_time() - cpu_started, bad


# Quoted, like the '&' in real titles ("Azure ML & Purview"); an unknown field, so the record is otherwise the same.
AMPERSAND_LINE = b'note: "Research & development: 3 * 4 & more"\n'


def ampersand_rates(files: list[Path], sample: int = 1000) -> tuple[float, float]:
    """CPU files/s of the parse step on `sample` files as they are, and with an '&' line added to each.

    The generated corpus has no '&' in its text; real files do (see real_ampersand_share), and any '&' or '*'
    after a space sends a file through the anchor check of articles.ingest.yamlsafe.
    """
    from articles.ingest.parser import parse_bytes
    from articles.ingest.yamlsafe import _SUSPECT_TOKEN

    plain = []
    for path in files[:sample]:
        with open(path, "rb") as handle:
            plain.append((str(path), handle.read()))
    marked = [(path, data.replace(b"---\n", b"---\n" + AMPERSAND_LINE, 1)) for path, data in plain]
    assert all(_SUSPECT_TOKEN.search(data.decode()) for _, data in marked)
    # Alternating rounds, the best of each: one pass each is at the mercy of whatever else the machine does.
    best = [float("inf"), float("inf")]
    for _ in range(3):
        for i, batch in enumerate((plain, marked)):
            cpu_started = time.process_time()
            for path, data in batch:
                parse_bytes(data, path)
            best[i] = min(best[i], time.process_time() - cpu_started)
    return len(plain) / best[0], len(marked) / best[1]


def real_ampersand_share() -> tuple[int, int] | None:
    """(files whose front matter has an '&' or '*' where a YAML token may start, files) in the real corpus."""
    from articles.ingest.yamlsafe import _SUSPECT_TOKEN, FrontMatterError, decode, split_front_matter
    from tests import shared

    corpus = shared.corpus_dir()
    if corpus is None:
        return None
    suspect = total = 0
    for path in corpus.rglob("*.md"):
        try:
            source = split_front_matter(decode(path.read_bytes()))
        except FrontMatterError:
            continue
        total += 1
        suspect += bool(_SUSPECT_TOKEN.search(source))
    return suspect, total


# --------------------------------------------------------------------------- database
def table_counts(db_url: str) -> dict[str, int]:
    tables = [
        "articles_article", "articles_relatedlink", "articles_image", "providers_provider", "articles_topic",
        "articles_article_topics", "articles_story", "articles_storykey", "articles_storyterm",
    ]  # fmt: skip
    out = {}
    with psycopg.connect(db_url) as conn:
        for table in tables:
            try:
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                out[table] = conn.execute(query).fetchone()[0]
            except psycopg.Error:
                conn.rollback()
    return out


# --------------------------------------------------------------------------- running the command
class TreeRssSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree (main + workers) every `interval` seconds.

    RSS counts pages shared by forked workers once per process; PSS splits them, so its sum is the
    tree's real footprint.
    """

    def __init__(self, root_pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.worker_cpu: dict[int, float] = {}  # pid -> CPU seconds of the importer's child processes, last seen
        self._halt = threading.Event()

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    out += [int(c) for c in handle.read().split()]
        except OSError:
            pass
        return out

    @staticmethod
    def _field_kb(path: str, name: str) -> int:
        try:
            with open(path) as handle:
                for line in handle:
                    if line.startswith(name):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self._halt.is_set():
            total = pss = 0
            stack = [(self.root_pid, 0)]
            importer_depth = None
            while stack:
                pid, depth = stack.pop()
                total += self._field_kb(f"/proc/{pid}/status", "VmRSS:")
                pss += self._field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
                if importer_depth is None and _is_python(pid):
                    importer_depth = depth  # the command itself, under /usr/bin/time or not
                elif importer_depth is not None and depth > importer_depth:
                    with contextlib.suppress(OSError):
                        self.worker_cpu[pid] = _proc_cpu(pid)
                stack += [(child, depth + 1) for child in self._children(pid)]
            # The root is /usr/bin/time when used: its own RSS is ~2 MB, negligible.
            self.peak_kb = max(self.peak_kb, total)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _is_python(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().startswith("python")
    except OSError:
        return False


def _proc_cpu(pid: int, *, reaped: bool = False) -> float:
    """utime+stime of a process (plus its reaped children's when `reaped`), in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(db_url: str) -> float | None:
    """CPU used so far by a PostgreSQL server on this machine (postmaster, live and exited backends), or None."""
    try:
        with psycopg.connect(db_url) as conn:
            data_dir = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
        with open(Path(data_dir) / "postmaster.pid") as handle:
            postmaster = int(handle.readline())
        total = _proc_cpu(postmaster, reaped=True)
        for child in TreeRssSampler._children(postmaster):
            # A backend that exits meanwhile is counted in the postmaster's reaped time instead.
            with contextlib.suppress(OSError):
                total += _proc_cpu(child)
        return total
    except (OSError, ValueError, psycopg.Error):
        return None  # a remote server, or one whose files this user cannot read


def run_import(
    directory: Path,
    jobs: int,
    env: dict,
    *,
    label: str,
    extra_python: list[str] | None = None,
    extra_args: list[str] | None = None,
) -> dict:
    """Run `manage.py import_articles DIR --jobs J`; wall time, max RSS, CPU, its summary line."""
    command = [str(PYTHON), *(extra_python or []), "manage.py", "import_articles", str(directory), "--jobs", str(jobs)]
    command += extra_args or []
    use_time = os.access(TIME_BIN, os.X_OK)
    with tempfile.TemporaryDirectory(prefix="import_speed.") as tmp:
        time_out = Path(tmp) / "time.txt"
        stdout_path, stderr_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        full = [TIME_BIN, "-v", "-o", str(time_out), *command] if use_time else command
        log(f"{label}: {' '.join(command[1:])}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = server_cpu_seconds(env["DATABASE_URL"])
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(full, cwd=REPO, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            sampler = TreeRssSampler(proc.pid)
            sampler.start()
            rc = proc.wait()
            wall = time.perf_counter() - started
            sampler.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_after = server_cpu_seconds(env["DATABASE_URL"])
        stdout = stdout_path.read_text(errors="replace")
        stderr = stderr_path.read_text(errors="replace")
        max_rss_kb = None
        if use_time and time_out.exists():
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_out.read_text())
            max_rss_kb = int(m.group(1)) if m else None
        if max_rss_kb is None and after.ru_maxrss > before.ru_maxrss:
            max_rss_kb = after.ru_maxrss  # only meaningful when this child set a new maximum
    summary = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    if rc not in (0, 1) or not summary:  # 1 = some files failed validation, still a full run
        sys.stderr.write(stderr[-4000:])
        sys.exit(f"import_speed: {label} failed with exit status {rc}")
    log(f"{label}: {summary}")
    m = re.search(r"in ([\d.]+)s", summary)
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (created|updated|unchanged|failed|superseded)", summary)}
    return {
        "wall": wall,
        "inner": float(m.group(1)) if m else None,
        "max_rss_kb": max_rss_kb,
        "tree_peak_kb": sampler.peak_kb,
        "tree_peak_pss_kb": sampler.peak_pss_kb,
        "rc": rc,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        # Sampled every 50 ms until each worker exits: what is left of the tree's CPU is the main process's.
        "worker_cpu": sum(sampler.worker_cpu.values()),
        "server_cpu": server_after - server_before if server_before is not None and server_after is not None else None,
        "summary": summary,
        "counts": counts,
        "warning_lines": sum(1 for line in stderr.splitlines() if line.startswith("warning:")),
        "error_lines": sum(1 for line in stderr.splitlines() if line.startswith("error:")),
    }


def manage(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def profile_import(directory: Path, jobs: int, env: dict, extra_args: list[str], top: int = 15) -> None:
    """One more first import (jobs as given; use --jobs 1 to see the parser too) under cProfile."""
    with tempfile.TemporaryDirectory(prefix="import_speed.prof.") as tmp:
        out = Path(tmp) / "import.prof"
        profiler = ["-m", "cProfile", "-o", str(out)]
        result = run_import(
            directory, jobs, env, label="profiled first import", extra_python=profiler, extra_args=extra_args
        )
        stats = pstats.Stats(str(out))
        print(f"\ncProfile of the first import (--jobs {jobs}, {result['wall']:.1f}s wall under the profiler)")
        print(f"Top {top} functions in articles/ingest by cumulative time:")
        stats.sort_stats("cumulative").print_stats(r"articles/ingest", top)
        print(f"Top {top} functions overall by own (total) time:")
        stats.sort_stats("tottime").print_stats(top)


# --------------------------------------------------------------------------- report
def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/import_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20000, help="items to generate and import (default 20000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="import_articles --jobs (default: cores)")
    parser.add_argument("--db-name", default="bench_import", help="database created (and dropped) for the run")
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database in place afterwards")
    parser.add_argument(
        "--profile", action="store_true", help="also run one more first import under cProfile and print the top 15"
    )
    parser.add_argument(
        "--taxonomy",
        default=str(DEFAULT_TAXONOMY) if DEFAULT_TAXONOMY.is_dir() else "",
        help="import_taxonomy this directory before the imports, as a real site has one (default: the shared "
        "corpus' _data; '' for none)",
    )
    parser.add_argument(
        "--no-auto-topics", action="store_true", help="import with --no-auto-topics (the cost of automatic topics)"
    )
    args = parser.parse_args()
    if args.count < 1 or args.jobs < 1:
        parser.error("--count and --jobs must be at least 1")

    admin_url = server_url("import_speed")
    directory = ensure_corpus(args.count, log)
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    files = item_files(directory)
    n = len(files)

    # (a) baselines.  A first untimed pass would only warm the page cache, which generation already did.
    log(f"parse-only: reading + CSafeLoader-loading {n} files on one core")
    parse_seconds, parse_cpu, parse_bad = parse_only(files)
    parse_rate = n / parse_seconds
    setup_django()
    log(f"parse step: reading + parse_bytes on {n} files on one core")
    step_seconds, step_cpu, step_bad = parse_step(files)
    step_rate = n / step_seconds
    plain_cpu_rate, ampersand_cpu_rate = ampersand_rates(files)
    real_share = real_ampersand_share()

    # (b) + (c) imports against a fresh, migrated database.
    db_url = fresh_database(admin_url, args.db_name)
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {"DATABASE_URL": db_url, "DJANGO_SECRET_KEY": "bench-only-not-secret", "PYTHONUNBUFFERED": "1"}
    extra_args = ["--no-auto-topics"] if args.no_auto_topics else []

    def prepare() -> float:
        seconds = manage(["migrate", "--noinput"], env)
        if args.taxonomy:
            manage(["import_taxonomy", args.taxonomy], env)
        return seconds

    try:
        log(f"migrating fresh database {args.db_name}")
        migrate_seconds = prepare()
        first = run_import(directory, args.jobs, env, label="first import", extra_args=extra_args)
        rows = table_counts(db_url)
        second = run_import(directory, args.jobs, env, label="re-import", extra_args=extra_args)
        if args.profile:
            db_url = fresh_database(admin_url, args.db_name)
            env["DATABASE_URL"] = db_url
            prepare()
            profile_import(directory, args.jobs, env, extra_args)
    finally:
        if not args.keep_db:
            drop_database(admin_url, args.db_name)

    import_rate = n / first["wall"]
    reimport_rate = n / second["wall"]
    ratio = import_rate / parse_rate
    step_ratio = import_rate / step_rate
    speedup = first["wall"] / second["wall"]
    largest_kb = max(first["max_rss_kb"] or 0, second["max_rss_kb"] or 0)
    tree_mb = max(first["tree_peak_kb"], second["tree_peak_kb"]) / 1024
    tree_pss_mb = max(first["tree_peak_pss_kb"], second["tree_peak_pss_kb"]) / 1024
    rss_source = "/usr/bin/time -v" if os.access(TIME_BIN, os.X_OK) else "getrusage(RUSAGE_CHILDREN)"

    def us_per_file(seconds: float | None) -> str:
        return "unknown" if seconds is None else f"{seconds / n * 1e6:,.0f} us"

    def inner(result: dict) -> str:
        return f"{n / result['inner']:,.0f} files/s in-command ({result['inner']:.1f}s)" if result["inner"] else ""

    def row(label: str, value: str, target: str = "", status: str = "") -> None:
        print(f"{label:<38} {value:>14}   {target:<32} {status}".rstrip())

    print()
    print(f"Import benchmark: N={n:,} items, jobs={args.jobs}, PostgreSQL, {os.cpu_count()} CPU(s)")
    print(f"  corpus: {directory.relative_to(REPO)}  ({sum(f.stat().st_size for f in files) / 1e6:,.0f} MB)")
    print(f"  first import: {first['summary']}")
    print(f"  re-import:    {second['summary']}")
    print(f"  rows after first import: {', '.join(f'{k.split("_", 1)[1]}={v:,}' for k, v in rows.items())}")
    print(
        f"  topics: taxonomy {'from ' + args.taxonomy if args.taxonomy else 'none'}, automatic topics "
        f"{'off (--no-auto-topics)' if args.no_auto_topics else 'on'}"
    )
    print()
    row("measure", "value", "target (issue)", "status")
    print("-" * 98)
    row("parse-only, stock CSafeLoader, 1 core", f"{parse_rate:,.0f} files/s", "(baseline 1)")
    row("importer's parse step, 1 core", f"{step_rate:,.0f} files/s", "(baseline 2: YAML + validation)")
    share = f"(real corpus: {real_share[0]} of {real_share[1]} files)" if real_share else "(real corpus not found)"
    row("  '&' in the text, CPU rate", f"{ampersand_cpu_rate:,.0f} files/s", share)
    row("  same files without it, CPU rate", f"{plain_cpu_rate:,.0f} files/s")
    row(f"first import, {args.jobs} job(s)", f"{import_rate:,.0f} items/s")
    row("  ratio to baseline 1", f"{ratio:.0%}", ">= 100% of parse-only", mark(ratio >= TARGET_IMPORT_RATIO))
    row("  ratio to baseline 2", f"{step_ratio:.0%}", "(the same bar)", mark(step_ratio >= TARGET_IMPORT_RATIO))
    row("re-import, unchanged batch", f"{reimport_rate:,.0f} files/s")
    row("  speed-up vs first import", f"{speedup:.1f}x", ">= 10x", mark(speedup >= TARGET_REIMPORT_SPEEDUP))
    row(
        "peak RSS, import process tree (sum)",
        f"{tree_mb:,.0f} MB",
        f"< {TARGET_PEAK_RSS_MB} MB, judged at any N (*)",
        mark(tree_mb < TARGET_PEAK_RSS_MB),
    )
    row("  largest single process", f"{largest_kb / 1024:,.0f} MB" if largest_kb else "unknown", f"({rss_source})")
    row("  peak PSS, tree (sum)", f"{tree_pss_mb:,.0f} MB", "(shared pages counted once)")
    print()
    print("CPU per file (user+sys), which parallel workers and a busy machine cannot flatter:")
    print(f"  parse-only baseline {us_per_file(parse_cpu)}; importer's parse step {us_per_file(step_cpu)}")
    for label, result in (("first import", first), ("re-import", second)):
        total = result["cpu"] + (result["server_cpu"] or 0)
        main_cpu = result["cpu"] - result["worker_cpu"]
        print(
            f"  {label}: {us_per_file(result['worker_cpu'])} parser workers + {us_per_file(main_cpu)} main process"
            f" + {us_per_file(result['server_cpu'])} PostgreSQL = {us_per_file(total)}"
            + (
                f" ({total / parse_cpu:.1f}x parse-only, {total / step_cpu:.1f}x the parse step)"
                if label == "first import"
                else ""
            )
        )
    print()
    print(
        f"wall times: parse-only {parse_seconds:.1f}s, parse step {step_seconds:.1f}s, migrate {migrate_seconds:.1f}s,"
        f" first import {first['wall']:.1f}s, re-import {second['wall']:.1f}s"
        f" (each import includes ~0.5s of interpreter + Django start-up)"
    )
    print(f"in-command timer: first {inner(first)}; re-import {inner(second)}")
    print(
        f"load average at start {load_start}, at end {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
        f"{os.cpu_count()} CPU(s): a busy machine slows the wall-clock rates, the CPU per file far less"
    )
    print(
        "(*) peak RSS of the tree: summed every 50 ms over the importer and its parser workers (from /proc). The\n"
        f"    issue sets {TARGET_PEAK_RSS_MB} MB for 1,000,000 items (bench/import_scale); with one chunk in flight"
        " memory must not grow with N, so the bar holds at every N."
    )
    print(
        "On 2 cores the import can beat one core's parse-only rate only if its total CPU per file (workers + main +\n"
        "PostgreSQL) stays under 2x parse-only's and both cores stay busy: compare the CPU line's first ratio with 2."
    )
    if parse_bad or step_bad:
        print(f"note: {parse_bad} file(s) did not load in the parse-only pass, {step_bad} in the parse step")


if __name__ == "__main__":
    main()
