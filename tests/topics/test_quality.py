"""The quality target of issue 11 on the real corpus, measured as bench/topic_quality does (leave-one-out)."""

import pytest

from articles.ingest.batch import find_item_files
from articles.ingest.parser import parse_file
from articles.topics import evaluation as ev
from articles.topics.learning import LabelledItem
from articles.topics.selectors import taxonomy
from tests.factories import run_command

pytestmark = pytest.mark.django_db


def test_precision_and_recall_on_the_real_items_reach_the_target(corpus):
    run_command("import_taxonomy", corpus / "_data")
    topics = taxonomy()
    ids = {topic.name.casefold(): topic.id for topic in topics}
    roots = {topic.id for topic in topics if topic.parent_id is None}
    items = []
    for path in find_item_files([corpus / "_news", corpus / "_archive" / "_news"]):
        record = parse_file(path).record
        items.append(LabelledItem(record.title, record.excerpt, frozenset(ids[n.casefold()] for n in record.topics)))
    assert len(items) == 40

    honest = ev.evaluate(ev.leave_one_out_predictor(topics, items), items, roots=roots).overall
    assert honest.precision >= 0.75 and honest.recall >= 0.80, (honest.precision, honest.recall)
    plain = ev.evaluate(ev.plain_keyword_predictor(topics), items, roots=roots).overall
    assert honest.f1 > plain.f1
