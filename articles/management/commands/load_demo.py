from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles.demo import shift_demo_to_present
from articles.ingest.batch import find_item_files
from articles.ingest.parser import parse_file


class Command(BaseCommand):
    help = (
        "Load the demo (sample_data/: taxonomy, items as a trusted restore, local images) and move its stories' "
        "times to the present, leaving the files as they are. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", default=str(settings.BASE_DIR / "sample_data"), help="The demo folder (default: sample_data/)."
        )

    def handle(self, *args, **options):
        root = Path(options["path"])
        news, taxonomy, images = root / "news", root / "taxonomy", root / "images"
        if not news.is_dir():
            raise CommandError(f"{news}: not a directory", returncode=2)
        verbosity = options["verbosity"]
        if taxonomy.is_dir():
            call_command("import_taxonomy", str(taxonomy), verbosity=verbosity, stdout=self.stdout)
        # The demo batch is a trusted restore: its `published` flags are applied.
        call_command(
            "import_articles", str(news), trust_published=True, jobs=1, verbosity=verbosity, stdout=self.stdout
        )
        if images.is_dir():
            call_command("attach_local_images", str(images), verbosity=verbosity, stdout=self.stdout)
        records = [result.record for result in map(parse_file, find_item_files([news])) if result.ok]
        shift = shift_demo_to_present(records=records, now=timezone.now())
        direction = "forward" if shift.delta >= timedelta(0) else "back"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo times moved {direction} by {abs(shift.delta)}: {shift.stories} stories, the newest an hour old."
            )
        )
