from pathlib import Path

from django.core.management.base import BaseCommand

from articles.ingest.exporter import export_articles


class Command(BaseCommand):
    help = "Write every article back as an item file (the import format), secured and unknown fields included."

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="Directory to write the item files to (created if missing).")

    def handle(self, *args, **options):
        count = export_articles(Path(options["outdir"]))
        self.stdout.write(f"{count} articles exported to {options['outdir']}")
