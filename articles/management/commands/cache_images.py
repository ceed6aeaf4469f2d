from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.images.services import cache_images
from articles.images.tasks import plan_image_caching


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Fetch images not yet cached (or due for a retry) into media storage and make their renditions; "
        "each distinct URL is fetched once. --enqueue leaves the work to `manage.py db_worker`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=_positive, help="Fetch at most this many distinct URLs.")
        parser.add_argument(
            "--workers",
            type=_positive,
            default=settings.IMAGE_FETCH_WORKERS,
            help="Concurrent downloads (default: IMAGE_FETCH_WORKERS, %(default)s).",
        )
        parser.add_argument(
            "--retry-failed", action="store_true", help="Retry failed images now, even those in backoff or given up."
        )
        parser.add_argument("--enqueue", action="store_true", help="Enqueue background tasks instead of working here.")

    def handle(self, *args, **options):
        if options["workers"] > 64:
            raise CommandError("--workers must be at most 64", returncode=2)
        if options["enqueue"]:
            plan = plan_image_caching(limit=options["limit"], retry_failed=options["retry_failed"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"Enqueued {plan['urls']} URLs in {plan['tasks']} tasks ({plan['reused']} images reused "
                    "a cached copy); `python manage.py db_worker` runs them."
                )
            )
            return
        report = cache_images(limit=options["limit"], workers=options["workers"], retry_failed=options["retry_failed"])
        if options["verbosity"] > 1:
            for url, reason in report.failures:
                self.stderr.write(f"failed: {url}: {reason}")
        line = (
            f"{report.fetched} fetched, {report.reused} reused, {report.failed} failed "
            f"in {report.seconds:.1f}s ({report.images_per_second:.1f} images/s)"
        )
        if report.failed and options["verbosity"] < 2:
            line += "; -v 2 lists the failures"
        self.stdout.write(self.style.WARNING(line) if report.failed else self.style.SUCCESS(line))
