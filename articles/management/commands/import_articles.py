import getpass
import json
import logging
import os
import sys
import time

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from articles.ingest.batch import find_item_files, import_batch
from articles.ingest.loader import CREATED, DUPLICATE, FAILED, UNCHANGED, UPDATED
from articles.models import ImportRun

MAX_RECORDED_ERRORS = 1000
logger = logging.getLogger("articles.imports")


def log_run(run: ImportRun, *, files: int, seconds: float, counts: dict | None = None, warnings: int = 0) -> None:
    """One log line per import run: its id, status, duration and (when it finished) how each file went."""
    fields = {"run": run.pk, "status": run.status, "dry_run": run.options.get("dry_run", False), "files": files}
    if counts is not None:
        fields |= {status: counts.get(status, 0) for status in (CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED)}
        fields["warnings"] = warnings
    fields["duration_ms"] = round(seconds * 1000, 1)
    failed = run.status == ImportRun.Status.FAILED
    logger.log(logging.ERROR if failed else logging.INFO, "import", extra={"fields": fields})


class Command(BaseCommand):
    help = "Import news item files (Markdown with YAML front matter); re-imports update, never duplicate."
    # The checks an import depends on. The others (URLs, admin, templates, security) import every URLconf and admin
    # module, 0.26 s of each run (an unchanged re-import of 20,000 files takes 1.6 s in all), and concern the site
    # and `manage.py check`, not files arriving from cron.
    requires_system_checks = [Tags.models, Tags.database]

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Item files and/or directories (searched recursively for *.md).")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")
        parser.add_argument("--report", metavar="FILE", help="Write a JSON report: per-file status and errors.")
        parser.add_argument(
            "--trust-published", action="store_true", help="Apply the files' `published` flags (restores, migrations)."
        )
        parser.add_argument("--base-url", default="", help="Resolve site-relative image paths (`/assets/...`) here.")
        parser.add_argument(
            "--jobs", type=int, default=os.cpu_count() or 1, help="Parser processes (default: one per core)."
        )
        parser.add_argument(
            "--no-auto-topics",
            action="store_true",
            help="Only the files' own topics: do not add topics found by the taxonomy's terms (see assign_topics).",
        )
        parser.add_argument(
            "--cache-images",
            action="store_true",
            help="Afterwards, enqueue fetching the images (a background task for `manage.py db_worker`).",
        )

    def handle(self, *args, **options):
        try:
            files = find_item_files(options["paths"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1", returncode=2)
        try:
            report = open(options["report"], "w", encoding="utf-8") if options["report"] else None  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"--report {options['report']}: {exc.strerror}", returncode=2) from None
        progress = tqdm(total=len(files), unit="file", disable=not sys.stderr.isatty(), file=sys.stderr)
        first = True
        recorded_errors: list[str] = []
        run = ImportRun.objects.create(
            started_by=f"command ({getpass.getuser()})",
            paths=[str(p) for p in options["paths"]],
            options={k: options[k] for k in ("dry_run", "trust_published", "base_url", "jobs", "no_auto_topics")},
        )

        def on_file(outcome):
            nonlocal first
            progress.update(1)
            if len(recorded_errors) < MAX_RECORDED_ERRORS:
                recorded_errors.extend(outcome.errors[: MAX_RECORDED_ERRORS - len(recorded_errors)])
            for message in outcome.errors:
                progress.write(f"error: {message}", file=self.stderr._out)
            for message in outcome.warnings:
                if options["verbosity"] > 1:
                    progress.write(f"warning: {message}", file=self.stderr._out)
            if report:
                report.write(("" if first else ",\n") + json.dumps(
                    {"path": outcome.path, "status": outcome.status, "errors": outcome.errors,
                     "warnings": outcome.warnings}, ensure_ascii=False))  # fmt: skip
                first = False

        if report:
            report.write('{"files": [\n')
        started = time.perf_counter()
        try:
            summary = import_batch(
                files,
                trust_published=options["trust_published"],
                dry_run=options["dry_run"],
                base_url=options["base_url"],
                jobs=options["jobs"],
                auto_topics=not options["no_auto_topics"],
                on_file=on_file,
            )
        except BaseException:
            run.status, run.finished_at, run.errors = ImportRun.Status.FAILED, timezone.now(), recorded_errors
            run.save(update_fields=["status", "finished_at", "errors"])
            log_run(run, files=len(files), seconds=time.perf_counter() - started)
            raise
        finally:
            progress.close()
        elapsed = time.perf_counter() - started
        counts = summary.counts
        run.status, run.finished_at, run.errors = ImportRun.Status.FINISHED, timezone.now(), recorded_errors
        run.counts = dict(counts) | {"files": len(files), "warnings": summary.warnings}
        run.save(update_fields=["status", "finished_at", "errors", "counts"])
        log_run(run, files=len(files), seconds=elapsed, counts=counts, warnings=summary.warnings)
        if report:
            totals = {k: counts[k] for k in (CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED)}
            totals |= {"files": len(files), "warnings": summary.warnings, "seconds": round(elapsed, 3)}
            report.write("\n], " + json.dumps({"dry_run": options["dry_run"], "summary": totals})[1:] + "\n")
            report.close()
        line = (
            f"{'Dry run: ' if options['dry_run'] else ''}{len(files)} files in {elapsed:.1f}s: "
            f"{counts[CREATED]} created, {counts[UPDATED]} updated, {counts[UNCHANGED]} unchanged, "
            f"{counts[FAILED]} failed"
        )
        if counts[DUPLICATE]:
            line += f", {counts[DUPLICATE]} superseded duplicates"
        if summary.warnings and options["verbosity"] < 2:
            line += f" ({summary.warnings} warnings; -v 2 lists them)"
        self.stdout.write(self.style.WARNING(line) if counts[FAILED] else self.style.SUCCESS(line))
        if options["cache_images"] and not options["dry_run"]:
            from articles.images.tasks import enqueue_image_caching  # only this option needs the tasks framework

            self.stdout.write(f"Image caching enqueued (task {enqueue_image_caching().id}).")
        if summary.exit_code:
            sys.exit(summary.exit_code)
