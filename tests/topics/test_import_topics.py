"""Automatic topics at import, each topic's provenance, and editors' topic decisions (PostgreSQL)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection

from articles import services
from articles.ingest import batch
from articles.ingest.loader import write_results
from articles.ingest.parser import parse_file
from articles.ingest.prepared import prepare
from articles.models import Article, ArticleTopic, Topic
from tests.factories import item_data, run_command, wipe_content, write_items
from tests.ingest.test_import import edit_in_admin, run_import
from tests.topics.conftest import links

pytestmark = pytest.mark.django_db

FILE, AUTO, EDITOR = (s.value for s in ArticleTopic.Source)


def story(n: int = 1, **fields) -> dict:
    return item_data(n, related=None, images=None, **fields)


def import_one(tmp_path, data: dict, **options) -> Article:
    (path,) = write_items(tmp_path / "batch", {"story.md": data})
    code, out, err = run_import(path, **options)
    assert code == 0, out + err
    return Article.objects.get(web_url=data["webUrl"])


def topic_ids(*names: str) -> list[str]:
    return [str(Topic.objects.get(name=name).pk) for name in names]


ROBOTS = story(title="Deep learning helps robots sort parcels", excerpt="A warehouse pilot.", topics=["AI in Robotics"])


def test_import_records_where_each_topic_came_from(taxonomy, tmp_path):
    article = import_one(tmp_path, ROBOTS)
    assert links(article) == {
        ("AI in Robotics", FILE, ""),  # matched too ("robots"), but the file named it first: one link, the file's
        ("Machine Learning", AUTO, "deep learning"),
        ("AI", AUTO, "deep learning"),  # the parent follows its child
    }


def test_a_changed_item_gets_its_automatic_topics_again_and_loses_stale_ones(taxonomy, tmp_path):
    article = import_one(tmp_path, ROBOTS)
    changed = import_one(tmp_path, {**ROBOTS, "title": "Robots sort parcels faster"})
    assert changed.pk == article.pk
    assert links(changed) == {("AI in Robotics", FILE, ""), ("AI", AUTO, "robot")}


def test_no_auto_topics_imports_the_files_topics_only(taxonomy, tmp_path):
    article = import_one(tmp_path, ROBOTS, no_auto_topics=True)
    assert links(article) == {("AI in Robotics", FILE, "")}


def test_an_editors_removal_of_an_automatic_topic_survives_reimport_and_assign_topics(
    taxonomy, tmp_path, editor_client
):
    article = import_one(tmp_path, ROBOTS)
    # Through the real change form: Machine Learning (automatic) out, AI in Sales in.
    edit_in_admin(editor_client, article, topics=topic_ids("AI in Robotics", "AI", "AI in Sales"))

    article.refresh_from_db()
    assert "topics" in article.editor_locked
    kept = {("AI in Robotics", FILE, ""), ("AI", AUTO, "deep learning"), ("AI in Sales", EDITOR, "")}
    assert links(article) == kept  # kept links keep their source; the added one is the editor's
    entry = LogEntry.objects.get(object_id=str(article.pk))
    assert "Added topic “AI in Sales”" in entry.change_message
    assert "Removed topic “Machine Learning”" in entry.change_message

    code, out, _ = run_import(*write_items(tmp_path / "batch", {"story.md": {**ROBOTS, "excerpt": "Deep learning!"}}))
    assert code == 0 and "1 updated" in out
    article.refresh_from_db()
    assert article.excerpt == "Deep learning!" and links(article) == kept

    run_command("assign_topics")
    assert links(article) == kept


def test_the_change_form_shows_each_topics_source_and_term(taxonomy, tmp_path, editor_client):
    article = import_one(tmp_path, {**ROBOTS, "topics": ["AI in Robotics", "<b>Bold</b>"]})
    html = editor_client.get(f"/admin/articles/article/{article.pk}/change/", secure=True).content.decode()
    assert "where the topics come from" in html.lower()
    assert "Machine Learning</a>: automatic, matched “deep learning”" in html
    assert "AI in Robotics</a>: from the item file" in html
    assert "&lt;b&gt;Bold&lt;/b&gt;</a>: from the item file" in html and "<b>Bold</b>" not in html


def test_bulk_topic_actions_record_the_editor(taxonomy, tmp_path, editor_client):
    auto = import_one(tmp_path, ROBOTS)
    plain = import_one(tmp_path, story(2, title="Parcels, sorted", topics=["AI"]))
    ml = Topic.objects.get(name="Machine Learning")
    selected = Article.objects.filter(pk__in=[auto.pk, plain.pk])

    result = services.add_topic(articles=selected, by=editor_client.editor, topic=ml)
    assert result.changed == 2 and not result.skipped
    assert ArticleTopic.objects.get(article=auto, topic=ml).source == EDITOR  # confirmed: no longer automatic
    assert ArticleTopic.objects.get(article=plain, topic=ml).source == EDITOR
    messages = dict(LogEntry.objects.values_list("object_id", "change_message"))
    assert messages[str(auto.pk)] == "Kept topic “Machine Learning” (it was automatic)."
    assert messages[str(plain.pk)] == "Added topic “Machine Learning”."
    assert all("topics" in a.editor_locked for a in selected)

    again = services.add_topic(articles=selected, by=editor_client.editor, topic=ml)
    assert again.changed == 0 and len(again.skipped) == 2  # an editor's topic is there already

    removed = services.remove_topic(articles=selected, by=editor_client.editor, topic=ml)
    assert removed.changed == 2 and not ArticleTopic.objects.filter(topic=ml).exists()


def test_labelled_items_teach_the_import_which_terms_mislead(taxonomy, tmp_path):
    labelled = {f"cv{n}.md": story(10 + n, title=f"Computer vision story {n}", topics=["AI", "Computer Vision"])
                for n in range(3)}  # fmt: skip
    labelled |= {f"aws{n}.md": story(20 + n, title=f"AWS story {n}", excerpt="It uses Amazon Rekognition.",
                                     topics=["AI", "AWS AI"]) for n in range(2)}  # fmt: skip
    assert run_import(*write_items(tmp_path / "labelled", labelled))[0] == 0
    hayu = story(30, title="hayu picks a cloud", excerpt="Built on Rekognition and Kinesis.", topics=["AI"])

    article = import_one(tmp_path, hayu)
    assert links(article) == {("AI", FILE, "")}  # "rekognition" mostly meant AWS on the labelled items

    out = run_command("assign_topics", "--no-learning")
    assert "1 changed (1 topics added" in out
    assert links(article) == {("AI", FILE, ""), ("Computer Vision", AUTO, "rekognition")}


def test_automatic_topics_travel_through_parser_processes(taxonomy, tmp_path, monkeypatch):
    titles = ["Deep learning for parcels", "Robots at the port", "Azure adds CRM tools", "Nothing to see", "ML, again"]
    items = {f"{n:02d}.md": story(n, title=f"{titles[n % 5]} ({n})", topics=["AI"]) for n in range(45)}
    files = write_items(tmp_path / "many", items)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 20)  # three chunks: parser processes start (see batch._run)
    snapshots = []
    for jobs in (1, 2):
        assert run_import(*files, jobs=jobs)[0] == 0
        rows = ArticleTopic.objects.values_list("article__web_url", "topic__name", "source", "term")
        snapshots.append(set(rows))
        wipe_content()
        run_command("import_taxonomy", taxonomy)
    assert snapshots[0] == snapshots[1]
    assert {row[1:] for row in snapshots[0] if row[2] == AUTO} >= {
        ("Machine Learning", AUTO, "deep learning"), ("AI in Robotics", AUTO, "robot"),
        ("Microsoft AI", AUTO, "azure"), ("AI in Sales", AUTO, "crm"), ("Machine Learning", AUTO, "ml"),
    }  # fmt: skip


def test_a_topic_deleted_during_an_import_is_skipped_not_a_failed_chunk(taxonomy, tmp_path):
    (path,) = write_items(tmp_path, {"story.md": ROBOTS})
    item = prepare(parse_file(path))._replace(auto_topics=((Topic.objects.get(name="AI").pk, "ai"), (10**9, "gone")))
    (outcome,) = write_results([item])
    assert outcome.status == "created"
    connection.check_constraints(table_names=[ArticleTopic._meta.db_table])  # deferred foreign keys hold
    assert links(Article.objects.get()) == {("AI in Robotics", FILE, ""), ("AI", AUTO, "ai")}


def test_an_export_carries_every_topic_and_a_restore_files_them_as_the_items_own(taxonomy, tmp_path):
    import_one(tmp_path, ROBOTS)
    run_command("export_articles", tmp_path / "out")
    wipe_content()
    run_command("import_taxonomy", taxonomy)
    run_command("import_articles", tmp_path / "out", jobs=1)
    # The export is the story as readers saw it: a restore keeps every topic, now as the file's.
    assert links(Article.objects.get()) == {
        ("AI in Robotics", FILE, ""),
        ("Machine Learning", FILE, ""),
        ("AI", FILE, ""),
    }
