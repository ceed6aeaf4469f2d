from pathlib import Path
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from articles.images.services import cache_local_copies


class Command(BaseCommand):
    help = (
        "Cache images from local copies under DIR whose names end their source URLs (offline demos and migrations): "
        "verified, stored with renditions and marked cached like a download; cache_images fetches from the network."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, **options):
        root = Path(options["directory"])
        if not root.is_dir():
            raise CommandError(f"{root}: not a directory", returncode=2)
        local = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file() and not p.is_symlink()}

        def find(url: str) -> Path | None:
            path = urlsplit(url).path
            return next((local[name] for name in local if path.endswith("/" + name)), None)

        report = cache_local_copies(find)
        line = f"{report.fetched} images attached from {root}"
        if report.failed:
            line += f"; {report.failed} files were not usable images: " + "; ".join(
                f"{url}: {reason}" for url, reason in report.failures
            )
        self.stdout.write(line)
