"""The demo site that `make run` serves: sample_data/ imported, and its stories' times moved to the present.

The sample files carry fixed dates, so a demo loaded weeks later would show nothing under "Past week" and
rank nothing on Top. The files stay as they are; the database copy is shifted, by whole hours, so that the
newest time (a story's or its coverage's) is one to two hours old and the others keep their spacing. The
shift is computed from the files' own dates every time, so re-loading within the hour writes the same
values, and a later re-load catches up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from articles.cache import bump_public_version
from articles.ingest.records import ItemRecord
from articles.models import Article, RelatedLink
from articles.stories.identity import url_identity_hash

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DemoShift:
    stories: int
    delta: timedelta


def demo_shift(newest: datetime, now: datetime) -> timedelta:
    """Whole hours that bring `newest` to between one and two hours before `now`."""
    return ((now - newest) // HOUR - 1) * HOUR


def shift_demo_to_present(*, records: list[ItemRecord], now: datetime) -> DemoShift:
    """Set the demo stories' times (and their coverage's) to the files' times plus one shift, in one transaction."""
    if not records:
        return DemoShift(0, timedelta(0))
    # Coverage can be newer than the story it covers: the newest time of all lands an hour or two ago.
    times = [record.published_at for record in records]
    times += [related.published_at for record in records for related in record.related if related.published_at]
    delta = demo_shift(max(times), now)
    shifted = 0
    with transaction.atomic():
        for record in records:
            identity = url_identity_hash(record.web_url)
            shifted += Article.objects.filter(web_url_hash=identity).update(published_at=record.published_at + delta)
            for position, related in enumerate(record.related):
                if related.published_at is not None:
                    RelatedLink.objects.filter(article__web_url_hash=identity, position=position).update(
                        published_at=related.published_at + delta
                    )
        bump_public_version()  # queryset updates send no signals
    return DemoShift(shifted, delta)
