"""Rebuild every story cluster (articles.stories.rebuild): idempotent, and editors' decisions hold."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.cache import bump_public_version
from articles.models import Article
from articles.stories.rebuild import rebuild_stories


class Command(BaseCommand):
    help = (
        "Rebuild all story clusters from the articles (links, shared sources, same-event texts). Locked articles "
        "stay where editors put them, curated stories are never merged; a second run changes nothing."
    )

    def handle(self, *args, **options):
        total = Article.objects.count()
        bar = tqdm(total=total, unit="article", disable=not sys.stderr.isatty(), file=sys.stderr)
        with bar:
            summary = rebuild_stories(on_chunk=bar.update)
        if summary.moved:
            bump_public_version()
        self.stdout.write(
            f"{summary.articles} articles in {summary.stories} stories ({summary.multi_article} with more than "
            f"one article); {summary.moved} articles changed story."
        )
        if summary.largest is not None and summary.largest.size > 1:
            lead = summary.largest.lead.title if summary.largest.lead else "(no lead)"
            self.stdout.write(f"Largest: story {summary.largest.pk}, {summary.largest.size} articles, led by “{lead}”.")
