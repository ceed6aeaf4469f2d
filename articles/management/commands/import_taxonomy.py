from django.core.management.base import BaseCommand, CommandError

from articles.ingest.taxonomy import import_taxonomy


class Command(BaseCommand):
    help = "Import topic (YAML) and organization (front matter) taxonomy files to enrich topics and providers."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Taxonomy files and/or directories.")

    def handle(self, *args, **options):
        try:
            summary = import_taxonomy(options["paths"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc), returncode=2) from None
        for message in summary.errors:
            self.stderr.write(f"error: {message}")
        self.stdout.write(
            f"{summary.topics} topics, {summary.providers} providers imported, {len(summary.errors)} failed"
        )
        if summary.errors:
            raise SystemExit(1)
