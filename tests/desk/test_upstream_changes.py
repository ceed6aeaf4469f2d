"""What changed upstream: the importer records old and new values for reviewed articles a re-import changes
(articles/ingest/changes.py), in the statements it already runs plus one write, and the desk shows them."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from articles import services
from articles.desk.upstream import FieldChange, merge, since_review
from articles.ingest import rows
from articles.models import Article, UpstreamChange
from tests.factories import item_data, item_text, tables_written, write_items

pytestmark = pytest.mark.django_db


def run_import(*paths) -> str:
    out = io.StringIO()
    call_command("import_articles", *map(str, paths), jobs=1, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def review(editor, *articles) -> None:
    services.mark_reviewed(articles=Article.objects.filter(pk__in=[a.pk for a in articles]), by=editor)


CHANGED = {
    "title": "A corrected title about machine learning",
    "excerpt": "A longer, corrected excerpt.",
    "publishedDateTime": "2021-03-02T12:30:00Z",
    "quality": 80,
    "heat": 12,
    "provider": {"name": "Example News Daily", "domain": "example.com"},
    "images": [{"url": "https://img.example.com/new-lead.jpg", "width": 1200, "height": 630}],
    "related": [
        {"title": "Related coverage 1", "webUrl": "https://other.example.org/1"},
        {"title": "A second outlet", "webUrl": "https://third.example.net/1"},
    ],
}


def test_a_reimport_records_old_and_new_values_of_a_reviewed_article(tmp_path, editor):
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    run_import(path)
    article = Article.objects.get()
    review(editor, article)
    path.write_text(item_text(item_data(1, **CHANGED)))

    assert "1 updated" in run_import(path)

    change = UpstreamChange.objects.get()
    article.refresh_from_db()
    assert change.article_id == article.pk and change.imported_at == article.last_imported_at
    assert change.changes == {
        "title": ["Story number 1 about machine learning", "A corrected title about machine learning"],
        "excerpt": ["An excerpt for story 1.", "A longer, corrected excerpt."],
        "published_at": ["2021-03-02T10:00:00+00:00", "2021-03-02T12:30:00+00:00"],
        "heat": [None, 12],
        "quality": [51, 80],
        "provider": ["Example News", "Example News Daily"],
        "lead_image": ["https://img.example.com/1.jpg", "https://img.example.com/new-lead.jpg"],
        "related": [1, 2],
    }
    assert article.needs_review
    # The provider keeps the name it was created with (editors own it): the record says what upstream sent.
    assert article.provider.name == "Example News"


def test_nothing_is_recorded_for_articles_never_reviewed(tmp_path):
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    run_import(path)
    path.write_text(item_text(item_data(1, title="A corrected title")))

    with tables_written() as written:
        assert "1 updated" in run_import(path)

    assert UpstreamChange._meta.db_table not in written
    assert not UpstreamChange.objects.exists()


def test_nothing_is_recorded_when_no_compared_field_changed(tmp_path, editor):
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    run_import(path)
    review(editor, Article.objects.get())
    path.write_text(item_text(item_data(1, secured="b3RoZXI=;aXY=")))  # the opaque blob is not compared

    assert "1 updated" in run_import(path)

    assert not UpstreamChange.objects.exists()
    assert Article.objects.get().needs_review  # it did change: back in the queue, without field-by-field values


def test_an_editors_quality_is_not_reported_as_an_upstream_change(tmp_path, editor):
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    run_import(path)
    services.set_quality(articles=Article.objects.all(), by=editor, quality=95)
    path.write_text(item_text(item_data(1, quality=10, title="Retitled")))

    run_import(path)

    assert UpstreamChange.objects.get().changes == {"title": ["Story number 1 about machine learning", "Retitled"]}
    assert Article.objects.get().quality == 95


def count_statements(action, monkeypatch) -> int:
    """Statements `action()` sends: those through Django's cursor, plus each COPY (which bypasses it)."""
    count = 0
    copy = rows._copy

    def counted_copy(*args, **kwargs):
        nonlocal count
        count += 1
        return copy(*args, **kwargs)

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    monkeypatch.setattr(rows, "_copy", counted_copy)
    with connection.execute_wrapper(counted):
        action()
    monkeypatch.undo()
    return count


def test_recording_costs_one_statement_per_chunk_and_only_when_reviewed_articles_changed(tmp_path, editor, monkeypatch):
    paths = write_items(tmp_path, {f"{n}.md": item_data(n) for n in range(1, 21)})
    run_import(tmp_path)

    def reheat(heat: int) -> int:
        # Only the heat changes: story clustering, which reads the text, does the same work both times.
        for n, path in enumerate(paths, start=1):
            path.write_text(item_text(item_data(n, heat=heat)))
        return count_statements(lambda: run_import(tmp_path), monkeypatch)

    not_reviewed = reheat(10)
    assert not UpstreamChange.objects.exists()
    review(editor, *Article.objects.all())
    reviewed = reheat(20)

    # The old values came with the lookup of existing rows; the 20 records are one more statement.
    assert UpstreamChange.objects.count() == 20
    assert reviewed == not_reviewed + 1


def test_changes_since_review_show_each_field_once_from_what_the_editor_saw(tmp_path, editor):
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    run_import(path)
    article = Article.objects.get()
    review(editor, article)
    path.write_text(item_text(item_data(1, title="Second title", heat=5)))
    run_import(path)
    path.write_text(item_text(item_data(1, title="Third title", heat=None)))
    run_import(path)

    changes = since_review([article.pk])[article.pk]

    # Heat went 5 and back to nothing: not a change since the review.
    assert changes == [FieldChange("title", "Story number 1 about machine learning", "Third title")]
    review(editor, article)
    assert since_review([article.pk]) == {}


def test_merge_orders_fields_like_the_form_and_drops_changes_undone():
    records = [
        {"related": [1, 2], "title": ["a", "b"]},
        {"published_at": ["2021-01-01T00:00:00+00:00", "2021-01-02T00:00:00+00:00"], "title": ["b", "a"]},
    ]
    merged = merge(records)
    assert [(c.field, c.old, c.new) for c in merged] == [
        ("published_at", "2021-01-01T00:00:00+00:00", "2021-01-02T00:00:00+00:00"),
        ("related", 1, 2),
    ]
    assert [c.label for c in merged] == ["publication time", "related coverage"]


def test_times_are_compared_as_instants(tmp_path, editor):
    (path,) = write_items(tmp_path, {"story.md": item_data(1, publishedDateTime="2021-03-02T12:00:00+02:00")})
    run_import(path)
    review(editor, Article.objects.get())
    # The same instant written in UTC, and a new title: only the title changed.
    path.write_text(item_text(item_data(1, publishedDateTime="2021-03-02T10:00:00Z", title="New")))
    run_import(path)
    assert list(UpstreamChange.objects.get().changes) == ["title"]
    assert Article.objects.get().published_at == datetime(2021, 3, 2, 10, tzinfo=UTC)
