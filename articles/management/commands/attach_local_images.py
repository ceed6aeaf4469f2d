from pathlib import Path
from urllib.parse import urlsplit

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from articles.models import Image


class Command(BaseCommand):
    help = (
        "Attach local copies to images whose source URL ends in a file found under DIR "
        "(offline demos and migrations; cache_images fetches from the network instead)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, **options):
        root = Path(options["directory"])
        if not root.is_dir():
            raise CommandError(f"{root}: not a directory", returncode=2)
        local = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
        attached = 0
        for image in Image.objects.filter(file="").iterator():
            path = urlsplit(image.url).path
            match = next((local[k] for k in local if path.endswith("/" + k)), None)
            if match:
                with match.open("rb") as handle:
                    image.file.save(match.name, File(handle), save=True)
                attached += 1
        self.stdout.write(f"{attached} images attached from {root}")
