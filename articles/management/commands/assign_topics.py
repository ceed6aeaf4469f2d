import sys
import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.models import Article
from articles.topics.selectors import current_matcher
from articles.topics.services import assign_topics


class Command(BaseCommand):
    help = (
        "Re-run automatic topic assignment from the taxonomy over every article (e.g. after import_taxonomy). "
        "Idempotent; only automatic topics change, and articles whose topics an editor changed are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument(
            "--no-learning",
            action="store_true",
            help="Use the taxonomy's terms as they are, without demoting those that mislead on labelled items.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        matcher = current_matcher(learn=not options["no_learning"])
        if not matcher:
            self.stdout.write(self.style.WARNING("No topics to assign: load a taxonomy with import_taxonomy first."))
            return
        demoted = len(matcher.factors)
        progress = tqdm(total=Article.objects.count(), unit="article", disable=not sys.stderr.isatty(), file=sys.stderr)
        try:
            summary = assign_topics(matcher=matcher, dry_run=options["dry_run"], on_chunk=progress.update)
        finally:
            progress.close()
        line = (
            f"{'Dry run: ' if options['dry_run'] else ''}{summary.articles} articles in "
            f"{time.perf_counter() - started:.1f}s: {summary.changed} changed ({summary.added} topics added, "
            f"{summary.removed} removed, {summary.retermed} with a new matched term), "
            f"{summary.locked} left alone (topics locked by an editor); "
            f"{len(matcher.topics)} topics, {demoted} terms demoted by what labelled items taught"
        )
        self.stdout.write(self.style.SUCCESS(line))
