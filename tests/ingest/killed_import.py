"""Run `manage.py import_articles` and have it SIGKILL itself at a chosen point: a deterministic crash for
tests/ingest/test_interrupted_import.py.

    python -m tests.ingest.killed_import CHUNK [import_articles arguments ...]     (from the repository root)

The process kills itself inside the transaction of chunk CHUNK (counted from 1), after that chunk's articles
are written and before their related links, images and topic links are: the most a crash can leave half done.
The hook lives here, in test code, so that production has no kill switch to set by mistake.
"""

import os
import signal
import sys


def main() -> None:
    kill_in_chunk, arguments = int(sys.argv[1]), sys.argv[2:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from articles.ingest import loader

    write_children = loader._write_children
    chunks = 0

    def write_children_or_die(*args, **kwargs):
        # The loader writes a chunk's children once, inside the chunk's transaction.
        nonlocal chunks
        chunks += 1
        if chunks == kill_in_chunk:
            os.kill(os.getpid(), signal.SIGKILL)
        return write_children(*args, **kwargs)

    loader._write_children = write_children_or_die
    execute_from_command_line(["manage.py", "import_articles", *arguments])


if __name__ == "__main__":
    main()
