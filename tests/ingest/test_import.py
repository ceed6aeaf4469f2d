"""`import_articles` and `import_batch` against a real database: DESIGN.md §3 (format), §4 (editorial rules), §5."""

import gc
import io
import json
import re
import weakref
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.checks import Tags
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from articles import services
from articles.ingest import batch, workers
from articles.ingest.batch import import_batch
from articles.ingest.loader import CREATED, DUPLICATE, FAILED, UNCHANGED, UPDATED, FileOutcome
from articles.ingest.parser import parse_file
from articles.ingest.prepared import slug
from articles.ingest.rows import insert_rows
from articles.models import Article, Image, ImportRun, RelatedLink, Topic
from articles.stories.identity import url_identity_hash
from providers.models import Provider
from tests.factories import (
    article_snapshot,
    generate_corpus,
    item_data,
    item_text,
    tables_written,
    wipe_content,
    write_items,
)

pytestmark = pytest.mark.django_db

SOUTH_KOREA = "_news/2021-12-13-a-south-korean-city-will-test-facial-recognition-as-a-way-to-track-the-virus.md"
AMAZON_ARCHIVE = "_archive/_news/2019-12-17-amazon-releases-a-new-tool-to-improve-machine-learning-processes.md"


def run_import(*paths, **options) -> tuple[int, str, str]:
    """Run the command in-process; returns (exit code, stdout, stderr), a failed batch's sys.exit as its code."""
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("jobs", 1)
    try:
        call_command("import_articles", *map(str, paths), stdout=out, stderr=err, **options)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def outcomes_of(files, **options) -> dict[str, FileOutcome]:
    """import_batch with every file's outcome, keyed by path."""
    outcomes = {}
    import_batch([str(f) for f in files], on_file=lambda o: outcomes.__setitem__(o.path, o), **options)
    return outcomes


def corpus_dirs(corpus: Path) -> list[Path]:
    return [corpus / "_news", corpus / "_archive" / "_news"]


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for d in corpus_dirs(corpus) for p in d.glob("*.md"))


def front_matter(path: Path) -> dict:
    """The file as plain YAML, independent of the importer's parser."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


# --- the real corpus ------------------------------------------------------------------------------------


def test_whole_corpus_imports_with_every_field(corpus):
    code, out, err = run_import(*corpus_dirs(corpus))

    assert code == 0, out + err
    assert "40 files" in out and "40 created" in out and "0 failed" in out
    web_urls = {parse_file(path).record.web_url for path in corpus_files(corpus)}
    assert len(web_urls) == 40
    assert Article.objects.count() == 40
    assert set(Article.objects.values_list("web_url", flat=True)) == web_urls

    path = corpus / SOUTH_KOREA
    raw = front_matter(path)
    article = Article.objects.select_related("provider").get(
        web_url="https://www.nytimes.com/2021/12/13/world/asia/south-korea-facial-recognition-coronavirus.html"
    )
    assert article.title == "A South Korean city will test facial recognition as a way to track the virus."
    assert article.excerpt == raw["excerpt"]
    assert (article.category, article.type) == ("news", "article")
    assert article.published_at == datetime(2021, 12, 13, 14, 16, tzinfo=UTC)
    assert article.original_url == raw["originalUrl"]
    assert article.amp_url == raw["ampWebUrl"]
    assert article.cdn_amp_url == raw["cdnAmpWebUrl"]
    assert (article.quality, article.heat) == (86, -1)
    assert article.published is False
    assert article.source_published is False
    assert (article.provider.domain, article.provider.name) == ("nytimes.com", "New York Times")
    assert list(article.provider.logos.values_list("url", "width", "height")) == [
        ("https://everyday-cc.github.io/ai/assets/images/organizations/nytimes.com-50x50.jpg", 50, 50)
    ]
    assert sorted(article.topics.values_list("name", flat=True)) == ["AI", "Computer Vision"]
    lead = article.lead_image
    assert lead.url == raw["images"][0]["url"]
    assert (lead.width, lead.height, lead.is_cached, lead.position) == (1050, 549, True, 0)
    assert article.images.count() == 1
    # Opaque: byte for byte what the file holds between the quotes.
    secured = re.search(rb'^secured: "([^"]*)"$', path.read_bytes(), re.MULTILINE).group(1).decode()
    assert article.secured == secured and len(secured) > 500
    assert article.extra == {}
    assert article.source_path == str(path)

    links = list(article.related_links.select_related("provider").prefetch_related("images"))
    assert len(links) == len(raw["related"]) == 14  # the file holds 14 entries (not 15)
    assert [
        (link.position, link.web_url, link.provider.domain, link.provider.name, link.quality) for link in links
    ] == [
        (i, r["webUrl"], r["provider"]["domain"], r["provider"]["name"], r["quality"])
        for i, r in enumerate(raw["related"])
    ]
    assert [link.title for link in links] == [r["title"] for r in raw["related"]]
    first = links[0]
    assert first.published_at == datetime(2021, 12, 12, 23, 5, tzinfo=UTC)
    assert first.excerpt == raw["related"][0]["excerpt"]
    assert (first.amp_url, first.type) == ("", "article")
    assert [(i.url, i.width, i.height, i.is_cached) for i in first.images.all()] == [
        (raw["related"][0]["images"][0]["url"], 1200, 628, True)
    ]
    assert links[1].amp_url == raw["related"][1]["ampWebUrl"]
    # The inshorts image URL ends in an empty query: kept as is, it is part of the URL.
    assert links[5].images.get().url.endswith(".jpg?")

    # An archive item whose file says `published: true` is only source metadata without --trust-published.
    amazon = Article.objects.get(source_path=str(corpus / AMAZON_ARCHIVE))
    assert (amazon.source_published, amazon.published) == (True, False)
    assert amazon.provider.domain == "forbes.com"
    # This file's `/assets/...` logo has no host (dropped with a warning); stored logos are all absolute.
    assert all(
        url.startswith("https://") for url in Image.objects.filter(provider__isnull=False).values_list("url", flat=True)
    )
    assert (amazon.quality, amazon.heat) == (74, 84)
    assert amazon.images.get().title == "Amazon Releases A New Tool To Improve Machine Learning Processes"
    assert amazon.images.get().is_cached is None
    assert [link.provider.domain for link in amazon.related_links.all()] == ["infoq.com"]
    assert not Article.objects.public().exists()

    code, out, _ = run_import(*corpus_dirs(corpus), trust_published=True)
    assert code == 0
    assert "0 created, 6 updated, 34 unchanged, 0 failed" in out
    amazon.refresh_from_db()
    assert (amazon.source_published, amazon.published) == (True, True)
    assert Article.objects.filter(published=True).count() == 6
    assert set(Article.objects.filter(published=True).values_list("id", flat=True)) == set(
        Article.objects.filter(source_published=True).values_list("id", flat=True)
    )
    article.refresh_from_db()
    assert (article.source_published, article.published) == (False, False)


# --- re-imports -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("trust_published", [False, True])
def test_second_import_of_same_batch_writes_nothing(corpus, tmp_path, trust_published):
    assert run_import(*corpus_dirs(corpus), trust_published=trust_published)[0] == 0
    before = article_snapshot()
    stamps = dict(Article.objects.values_list("id", "last_imported_at"))

    report = tmp_path / "report.json"
    with tables_written() as written:
        code, out, _ = run_import(*corpus_dirs(corpus), trust_published=trust_published, report=report)

    assert code == 0
    assert "0 created, 0 updated, 40 unchanged, 0 failed" in out
    assert {entry["status"] for entry in json.loads(report.read_text())["files"]} == {UNCHANGED}
    assert written == {}
    assert article_snapshot() == before
    assert dict(Article.objects.values_list("id", "last_imported_at")) == stamps

    # The service itself (no command, no audit row): not a single write.
    with tables_written(audit=True) as written:
        outcomes = outcomes_of(corpus_files(corpus), trust_published=trust_published)
    assert {o.status for o in outcomes.values()} == {UNCHANGED} and len(outcomes) == 40
    assert written == {}


def test_the_write_check_sees_copy_and_updates_that_django_never_records(tmp_path):
    # COPY goes through the raw psycopg cursor on PostgreSQL: a check of Django's recorded queries is blind to it.
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    assert run_import(path)[0] == 0
    article = Article.objects.get()
    topic = Topic.objects.create(name="Copied", slug="copied")
    Through = Article.topics.through
    with tables_written() as written:
        insert_rows(Through, ["article_id", "topic_id", "source", "term"], [(article.pk, topic.pk, "file", "")])
    assert set(written) == {Through._meta.db_table}
    with tables_written() as written:
        Article.objects.filter(pk=article.pk).update(title=article.title)  # the same value, still a write
    # PostgreSQL sees the new row version; elsewhere only changed values are seen (see tables_written).
    assert set(written) == ({Article._meta.db_table} if connection.vendor == "postgresql" else set())
    with tables_written() as written:
        run_import(path)  # unchanged: only the audit row
    assert written == {}
    with tables_written(audit=True) as written:
        run_import(path)
    assert set(written) == {ImportRun._meta.db_table}


def test_changed_file_updates_article_in_place_and_replaces_children(tmp_path):
    two_related = [
        {
            "title": "First take",
            "webUrl": "https://a.example.org/1",
            "provider": {"name": "A", "domain": "a.example.org"},
            "images": [{"url": "https://a.example.org/1.jpg", "width": 10, "height": 10}],
        },
        {
            "title": "Second take",
            "webUrl": "https://b.example.org/2",
            "provider": {"name": "B", "domain": "b.example.org"},
        },
    ]
    images = [
        {"url": "https://img.example.com/lead.jpg", "width": 800, "height": 600},
        {"url": "https://img.example.com/2.jpg"},
    ]
    (path,) = write_items(tmp_path, {"story.md": item_data(1, related=two_related, images=images)})
    assert run_import(path)[0] == 0
    article = Article.objects.get()
    old_link_ids = set(article.related_links.values_list("id", flat=True))
    old_image_ids = set(Image.objects.exclude(provider__isnull=False).values_list("id", flat=True))
    assert len(old_link_ids) == 2 and len(old_image_ids) == 3

    new_related = [
        {
            "title": "Third take",
            "webUrl": "https://c.example.org/3",
            "provider": {"name": "C", "domain": "c.example.org"},
            "quality": 7,
            "images": [{"url": "https://c.example.org/3.jpg"}, {"url": "https://c.example.org/3b.jpg"}],
        },
        {
            "title": "First take, revised",
            "webUrl": "https://a.example.org/1",
            "provider": {"name": "A", "domain": "a.example.org"},
        },
        {"title": "Fourth take", "webUrl": "https://d.example.org/4"},
    ]
    new_images = [{"url": "https://img.example.com/new-lead.jpg", "width": 1200, "height": 630, "title": "New lead"}]
    path.write_text(item_text(item_data(1, title="A corrected title", related=new_related, images=new_images)))
    code, out, _ = run_import(path)

    assert code == 0 and "0 created, 1 updated" in out
    assert Article.objects.count() == 1
    updated = Article.objects.get()
    assert updated.id == article.id
    assert updated.title == "A corrected title"
    assert updated.first_imported_at == article.first_imported_at
    assert updated.last_imported_at > article.last_imported_at
    links = list(updated.related_links.select_related("provider"))
    assert [(ln.position, ln.title, ln.provider and ln.provider.domain, ln.quality) for ln in links] == [
        (0, "Third take", "c.example.org", 7),
        (1, "First take, revised", "a.example.org", None),
        (2, "Fourth take", None, None),
    ]
    assert [i.url for i in links[0].images.all()] == ["https://c.example.org/3.jpg", "https://c.example.org/3b.jpg"]
    assert not links[1].images.exists()
    assert [(i.url, i.title, i.width) for i in updated.images.all()] == [
        ("https://img.example.com/new-lead.jpg", "New lead", 1200)
    ]
    # The old rows are gone, not left behind as orphans.
    assert not RelatedLink.objects.filter(id__in=old_link_ids).exists()
    assert not Image.objects.filter(id__in=old_image_ids).exists()
    assert RelatedLink.objects.count() == 3
    assert Image.objects.filter(provider__isnull=True).count() == 3


def test_changed_file_updates_whatever_path_spelling_it_is_imported_under(tmp_path, monkeypatch):
    # Regression: a tie on publishedDateTime was broken by comparing the stored path string, so a file first
    # imported as `items/story.md` and changed later was dropped as a "duplicate" of `/abs/.../items/story.md`.
    (path,) = write_items(tmp_path / "items", {"story.md": item_data(1, title="Typo in the tilte")})
    monkeypatch.chdir(tmp_path)
    assert run_import("items")[0] == 0
    assert Article.objects.get().source_path == str(path)  # stored absolute, whatever the working directory

    path.write_text(item_text(item_data(1, title="Typo fixed")))  # same story, same publishedDateTime
    code, out, _ = run_import(tmp_path / "items")

    assert code == 0
    assert "1 updated" in out
    assert Article.objects.get().title == "Typo fixed"


# --- one story in several files -------------------------------------------------------------------------


def test_duplicates_in_one_batch_newest_wins_whatever_the_order_or_chunking(tmp_path, monkeypatch):
    url = "https://www.example.com/news/one-story.html"
    files = write_items(
        tmp_path,
        {
            # The newest file sorts first by name, so "the later path" alone would pick the wrong one.
            "a-newest.md": item_data(1, webUrl="  HTTPS://WWW.Example.COM/news/one-story.html ", title="Newest",
                                     publishedDateTime="2021-03-05T10:00:00Z", topics=["AI", "Robotics"]),
            "b-oldest.md": item_data(2, webUrl=url, title="Oldest", publishedDateTime="2021-03-01T10:00:00Z"),
            "c-middle.md": item_data(3, webUrl=url, title="Middle", publishedDateTime="2021-03-03T10:00:00+02:00"),
        },
    )  # fmt: skip
    newest, oldest, middle = map(str, files)
    orders = [[newest, oldest, middle], [oldest, middle, newest], [middle, newest, oldest]]
    snapshots = []
    for chunk_size in (500, 1):
        monkeypatch.setattr(batch, "CHUNK_SIZE", chunk_size)
        for order in orders:
            outcomes = outcomes_of(order)
            assert outcomes[newest].status in (CREATED, UPDATED)
            if chunk_size == 500:
                # One chunk: the losers are reported as duplicates, each naming itself and a file that outranks it.
                assert outcomes[newest].status == CREATED
                for loser, betters in ((oldest, (middle, newest)), (middle, (newest,))):
                    assert outcomes[loser].status == DUPLICATE
                    (warning,) = outcomes[loser].warnings
                    assert warning.startswith(f"{loser}: webUrl: same identity as ")
                    assert any(f"same identity as {better}," in warning for better in betters), warning
            assert Article.objects.count() == 1
            article = Article.objects.get()
            assert (article.title, article.web_url, article.source_path) == ("Newest", url, newest)
            snapshot = article_snapshot()
            snapshots.append(snapshot)

            # Re-running the same batch changes nothing and writes nothing.
            with tables_written(audit=True) as written:
                again = outcomes_of(order)
            assert written == {}
            assert again[newest].status == UNCHANGED
            assert {again[oldest].status, again[middle].status} == {DUPLICATE}
            assert article_snapshot() == snapshot
            Article.objects.all().delete()

    for s in snapshots:
        assert s == snapshots[0]
    assert snapshots[0][url]["topics"] == ["AI", "Robotics"]


@pytest.fixture
def parsed_paths(monkeypatch) -> list[str]:
    """The paths the importer parses (in-process, --jobs 1), in order."""
    paths = []
    parse = workers.parse_bytes

    def recording(data: bytes, path: str, base_url: str = "", digest: str | None = None):
        paths.append(path)
        return parse(data, path, base_url, digest)

    monkeypatch.setattr(workers, "parse_bytes", recording)  # the name parse_many looks up
    return paths


@pytest.mark.parametrize("chunk_size", [500, 1], ids=["superseded in its chunk", "superseded by the stored article"])
def test_an_unchanged_reimport_skips_superseded_duplicates_before_parsing(
    tmp_path, monkeypatch, parsed_paths, chunk_size
):
    url = "https://www.example.com/news/one-story.html"
    newest, oldest = map(str, write_items(
        tmp_path,
        {
            "a-newest.md": item_data(1, webUrl=url, title="Newest", publishedDateTime="2021-03-05T10:00:00Z"),
            "b-oldest.md": item_data(2, webUrl=url + "?utm_source=feed", title="Oldest",
                                     publishedDateTime="2021-03-01T10:00:00Z"),
        },
    ))  # fmt: skip
    monkeypatch.setattr(batch, "CHUNK_SIZE", chunk_size)
    first = outcomes_of([newest, oldest])
    assert (first[newest].status, first[oldest].status) == (CREATED, DUPLICATE)
    assert parsed_paths == [newest, oldest]

    parsed_paths.clear()
    with tables_written() as written:
        again = outcomes_of([oldest, newest])
    assert parsed_paths == []
    assert written == {}
    assert (again[newest].status, again[oldest].status) == (UNCHANGED, DUPLICATE)
    assert again[oldest].warnings == [f"{oldest}: webUrl: same identity as {newest}, which takes precedence"]


@pytest.mark.parametrize("chunk_size", [500, 1])
def test_a_skipped_duplicate_is_imported_when_its_winner_changes_to_rank_below_it(
    tmp_path, monkeypatch, parsed_paths, chunk_size
):
    url = "https://www.example.com/news/one-story.html"
    items = {
        "a-newest.md": item_data(1, webUrl=url, title="Newest", publishedDateTime="2021-03-05T10:00:00Z"),
        "b-oldest.md": item_data(2, webUrl=url, title="Oldest", publishedDateTime="2021-03-01T10:00:00Z"),
    }
    newest, oldest = map(str, write_items(tmp_path, items))
    monkeypatch.setattr(batch, "CHUNK_SIZE", chunk_size)
    outcomes_of([newest, oldest])
    # The winning file is corrected to an earlier date, in a chunk after the duplicate's: the duplicate now wins.
    write_items(tmp_path, {"a-newest.md": {**items["a-newest.md"], "publishedDateTime": "2021-02-01T10:00:00Z"}})
    parsed_paths.clear()
    reported = []
    import_batch([oldest, newest], on_file=reported.append)
    # The winner's new file is written first (its chunk did not know better), then the duplicate takes over,
    # at the end of the same run: each file reported once, the database as a fresh import of both leaves it.
    assert [(o.path, o.status) for o in reported] == [(newest, UPDATED), (oldest, UPDATED)]
    assert Article.objects.get().title == "Oldest"
    assert parsed_paths == [newest, oldest]
    # And it stays so: the next run skips the new loser.
    parsed_paths.clear()
    again = outcomes_of([oldest, newest])
    assert (again[oldest].status, again[newest].status) == (UNCHANGED, DUPLICATE)
    assert parsed_paths == []


def test_slug_does_not_depend_on_file_order_or_chunking(tmp_path, monkeypatch):
    # Regression: an update kept the slug of the first title written, so the slug depended on file order.
    url = "https://www.example.com/news/one-story.html"
    newest, oldest = write_items(
        tmp_path,
        {
            "a-newest.md": item_data(1, webUrl=url, title="Newest", publishedDateTime="2021-03-05T10:00:00Z"),
            "b-oldest.md": item_data(2, webUrl=url, title="Oldest", publishedDateTime="2021-03-01T10:00:00Z"),
        },
    )
    outcomes_of([newest, oldest])
    one_chunk = Article.objects.get().slug
    Article.objects.all().delete()
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)
    outcomes_of([oldest, newest])
    article = Article.objects.get()
    assert article.title == "Newest"
    assert article.slug == one_chunk


def test_duplicate_reported_in_json_report(tmp_path):
    url = "https://www.example.com/news/one-story.html"
    newer, older = write_items(
        tmp_path,
        {
            "2021/newer.md": item_data(1, webUrl=url, publishedDateTime="2021-03-05T10:00:00Z"),
            "2021/older.md": item_data(2, webUrl=url, publishedDateTime="2021-03-01T10:00:00Z"),
        },
    )
    report = tmp_path / "report.json"
    code, out, _ = run_import(tmp_path, report=report)
    assert code == 0
    assert "1 created" in out and "1 superseded duplicates" in out
    entries = {e["path"]: e for e in json.loads(report.read_text())["files"]}
    assert entries[str(newer)]["status"] == CREATED
    assert entries[str(older)]["status"] == DUPLICATE
    assert entries[str(older)]["warnings"] == [f"{older}: webUrl: same identity as {newer}, which takes precedence"]


# --- editors' decisions survive imports -----------------------------------------------------------------


class _FormData(HTMLParser):
    """What a browser would submit for the form with a given id: inputs, checked boxes, selected options."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.select: tuple[str, list] | None = None
        self.textarea: str | None = None
        self.data: dict[str, list[str]] = {}

    def add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.add(attrs["name"], attrs.get("value") or "on")
                return
            self.add(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # Like a browser, drop the newline that directly follows <textarea>.
            self.data[self.textarea][-1] = self.data[self.textarea][-1].removeprefix("\n")
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data


def admin_form_data(html: str, form_id: str = "article_form") -> dict[str, list[str]]:
    parser = _FormData(form_id)
    parser.feed(html)
    assert parser.data, f"no form #{form_id} in the page"
    return parser.data


@pytest.fixture
def editor_client(client):
    editor = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password-42")
    assert client.login(username="editor", password="a-long-test-password-42")
    client.editor = editor
    return client


def edit_in_admin(client, article: Article, **changes) -> None:
    url = f"/admin/articles/article/{article.id}/change/"
    page = client.get(url, secure=True)
    assert page.status_code == 200
    data = admin_form_data(page.content.decode())
    assert "related_links-TOTAL_FORMS" in data and "images-TOTAL_FORMS" in data
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = ["on"]
        else:
            data[name] = value if isinstance(value, list) else [str(value)]
    data["_save"] = ["Save"]
    response = client.post(url, data, secure=True)
    errors = response.context and [response.context["adminform"].form.errors, response.context["errors"]]
    assert response.status_code == 302, errors


def test_editor_changes_in_admin_survive_reimports(tmp_path, editor_client):
    data = item_data(
        1, title="Original title", quality=40, published=True, topics=["AI", "Robotics"], excerpt="First excerpt"
    )
    (path,) = write_items(tmp_path, {"story.md": data})
    assert run_import(path, trust_published=True)[0] == 0
    article = Article.objects.get()
    assert article.published is True and article.quality == 40
    picked = Topic.objects.create(name="Editors Pick", slug="editors-pick")

    # The editor takes the story down, rates it and re-files it, through the real change form.
    edit_in_admin(editor_client, article, published=False, quality=99, topics=[str(picked.id)])

    article.refresh_from_db()
    assert (article.published, article.quality) == (False, 99)
    assert list(article.topics.values_list("name", flat=True)) == ["Editors Pick"]
    assert article.editor_locked == ["published", "quality", "topics"]
    assert article.related_links.count() == 1 and article.images.count() == 1  # inlines saved untouched
    # Attributable: who changed what, in the admin history.
    entry = LogEntry.objects.get(object_id=str(article.id), action_flag=CHANGE)
    assert entry.user == editor_client.editor
    message = entry.get_change_message().lower()
    assert "publish" in message and "quality" in message and "topic" in message, message

    for trust_published, title in [(False, "Upstream title, take two"), (True, "Upstream title, take three")]:
        path.write_text(
            item_text(item_data(1, title=title, quality=10, published=True, topics=["Deep Learning"], excerpt=title))
        )
        code, out, _ = run_import(path, trust_published=trust_published)
        assert code == 0 and "1 updated" in out

        article.refresh_from_db()
        assert (article.title, article.excerpt) == (title, title)  # untouched upstream fields do update
        assert article.source_published is True
        assert article.published is False
        assert article.quality == 99
        assert list(article.topics.values_list("name", flat=True)) == ["Editors Pick"]
        assert not Article.objects.public().exists()
    assert Article.objects.count() == 1


def test_import_never_makes_a_story_public_without_trust_published(corpus, tmp_path):
    files = write_items(
        tmp_path,
        {
            "approved.md": item_data(1, published=True),
            "quoted-yes.md": item_data(2, published="yes"),
            "quoted-true.md": item_data(3, published="true"),
        },
    )
    assert run_import(*corpus_dirs(corpus), *files)[0] == 0
    assert Article.objects.count() == 43
    assert Article.objects.filter(source_published=True).count() == 7
    assert not Article.objects.public().exists()

    # Even a trusted import only honours a real YAML boolean: a quoted "yes" is not an approval.
    assert run_import(*files, trust_published=True)[0] == 0
    assert list(Article.objects.public().values_list("web_url", flat=True)) == [item_data(1)["webUrl"]]


# --- bad files ------------------------------------------------------------------------------------------

ALIAS_BOMB = """---
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
title: Billion laughs
webUrl: https://www.example.com/bomb
publishedDateTime: 2021-03-01T10:00:00Z
topics: *g
---
"""


@pytest.fixture
def mixed_batch(tmp_path) -> tuple[list[Path], dict[Path, str]]:
    """Three good files and four bad ones; for each bad one, the `field: reason` it must be reported with."""
    good = write_items(tmp_path / "batch", {f"good-{n}.md": item_data(n) for n in (1, 2, 3)})
    batch_dir = tmp_path / "batch"
    bad = {
        batch_dir / "latin-1.md": "file: not valid UTF-8 (byte 0xe9 at offset ",
        batch_dir / "alias-bomb.md": "yaml: anchors are not allowed (line ",
        batch_dir / "no-title.md": "title: missing",
        batch_dir / "javascript.md": "webUrl: only http and https URLs are allowed, not javascript:",
    }
    paths = list(bad)
    paths[0].write_bytes(item_text(item_data(4, title="Caf\xe9 society")).encode("latin-1"))
    paths[1].write_text(ALIAS_BOMB)
    paths[2].write_text(item_text(item_data(6, title=None)))
    paths[3].write_text(item_text(item_data(7, webUrl="javascript:alert(document.cookie)")))
    return good, bad


def test_bad_files_are_reported_and_good_ones_imported(mixed_batch, tmp_path):
    good, bad = mixed_batch
    report = tmp_path / "report.json"

    code, out, err = run_import(tmp_path / "batch", report=report)

    assert code == 1
    assert "7 files" in out and "3 created" in out and "4 failed" in out
    assert set(Article.objects.values_list("web_url", flat=True)) == {item_data(n)["webUrl"] for n in (1, 2, 3)}
    assert RelatedLink.objects.count() == 3
    for path, message in bad.items():
        assert f"error: {path}: {message}" in err
    data = json.loads(report.read_text())
    assert data["dry_run"] is False
    entries = {e["path"]: e for e in data["files"]}
    assert len(entries) == 7
    for path in good:
        assert entries[str(path)]["status"] == CREATED and entries[str(path)]["errors"] == []
    for path, message in bad.items():
        assert entries[str(path)]["status"] == FAILED
        assert len(entries[str(path)]["errors"]) == 1
        assert entries[str(path)]["errors"][0].startswith(f"{path}: {message}")
    summary = data["summary"]
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "duplicate", "failed", "files")} == {
        "created": 3, "updated": 0, "unchanged": 0, "duplicate": 0, "failed": 4, "files": 7,
    }  # fmt: skip

    # Only the bad files are retried (and still fail) on a second run.
    code, out, _ = run_import(tmp_path / "batch")
    assert code == 1 and "0 created, 0 updated, 3 unchanged, 4 failed" in out


def test_yaml_errors_name_the_line_of_the_file(mixed_batch):
    # Regression: lines were counted from the line after the opening '---'.
    _, bad = mixed_batch
    bomb = next(path for path in bad if path.name == "alias-bomb.md")
    assert bomb.read_text().splitlines()[1].startswith("a: &a ")  # the first anchor is on line 2 of the file
    (result,) = [parse_file(bomb)]
    assert [str(e) for e in result.errors] == [f"{bomb}: yaml: anchors are not allowed (line 2)"]


def test_non_finite_number_in_an_unknown_field_is_dropped_not_fatal(tmp_path):
    # Regression: NaN reached PostgreSQL's jsonb and failed the whole file with a "database:" error.
    path, good = write_items(
        tmp_path, {"nan.md": item_data(1, score=float("nan"), ratio=float("inf")), "good.md": item_data(2)}
    )
    outcome = outcomes_of([path, good])[str(path)]
    assert outcome.status == CREATED, outcome.errors
    assert Article.objects.get(source_path=str(path)).extra == {}
    assert len(outcome.warnings) == 2


def test_dry_run_reports_what_would_happen_and_writes_nothing(mixed_batch, tmp_path):
    good, bad = mixed_batch
    report = tmp_path / "report.json"

    code, out, _ = run_import(tmp_path / "batch", dry_run=True, report=report)

    assert code == 1
    assert out.startswith("Dry run: ") and "3 created" in out and "4 failed" in out
    for model in (Article, RelatedLink, Image, Provider, Topic):
        assert model.objects.count() == 0, model
    data = json.loads(report.read_text())
    assert data["dry_run"] is True
    assert data["summary"]["created"] == 3 and data["summary"]["failed"] == 4
    assert {e["path"]: e["status"] for e in data["files"]} == {str(p): CREATED for p in good} | {
        str(p): FAILED for p in bad
    }


def test_dry_run_reports_the_same_counts_as_the_real_run(tmp_path, monkeypatch):
    url = "https://www.example.com/news/one-story.html"
    write_items(
        tmp_path / "batch",
        {
            "1.md": item_data(1, webUrl=url, publishedDateTime="2021-03-01T10:00:00Z"),
            "2.md": item_data(2, webUrl=url, publishedDateTime="2021-03-02T10:00:00Z"),
        },
    )
    # One file per chunk: what a batch of more than 500 files does to a story re-published later in the batch.
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)

    _, dry, _ = run_import(tmp_path / "batch", dry_run=True)
    _, real, _ = run_import(tmp_path / "batch")

    counts = re.compile(r"\d+ created, .*")
    assert counts.search(real).group() == "1 created, 1 updated, 0 unchanged, 0 failed"
    assert counts.search(dry).group() == counts.search(real).group()


def test_unwritable_report_path_is_a_usage_error(tmp_path):
    write_items(tmp_path / "batch", {"story.md": item_data(1)})
    with pytest.raises(CommandError) as error:
        call_command(
            "import_articles", str(tmp_path / "batch"), report=str(tmp_path / "missing" / "r.json"), jobs=1,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert error.value.returncode == 2
    assert not Article.objects.exists()


def test_usage_errors_exit_with_code_2(tmp_path):
    with pytest.raises(CommandError) as missing:
        call_command("import_articles", str(tmp_path / "no-such-dir"), stdout=io.StringIO())
    assert missing.value.returncode == 2
    assert "no-such-dir" in str(missing.value)
    with pytest.raises(CommandError) as bad_jobs:
        call_command("import_articles", str(tmp_path), jobs=0, stdout=io.StringIO())
    assert bad_jobs.value.returncode == 2
    assert not Article.objects.exists()


# --- database-level failures ----------------------------------------------------------------------------


def test_a_database_error_fails_only_its_own_file(tmp_path):
    files = write_items(tmp_path, {f"story-{n}.md": item_data(n) for n in range(1, 6)})
    victim = files[2]
    record = parse_file(victim).record
    # A row squatting the slug the importer will generate for the third file: its bulk insert must fail.
    squatter = Article.objects.create(
        web_url="https://elsewhere.example.net/squatter",
        web_url_hash=url_identity_hash("https://elsewhere.example.net/squatter"),
        slug=slug(record.title, url_identity_hash(record.web_url)),
        title="Squatter",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
    )

    outcomes = outcomes_of(files)

    assert [outcomes[str(f)].status for f in files] == [CREATED, CREATED, FAILED, CREATED, CREATED]
    (message,) = outcomes[str(victim)].errors
    assert message.startswith(f"{victim}: database: ")
    assert "unique" in message.lower()
    assert Article.objects.count() == 5
    assert set(Article.objects.values_list("web_url", flat=True)) == {squatter.web_url} | {
        item_data(n)["webUrl"] for n in (1, 2, 4, 5)
    }
    # The four good files are complete; the failed one left nothing behind.
    for article in Article.objects.exclude(id=squatter.id):
        assert article.related_links.count() == 1 and article.images.count() == 1
        assert article.related_links.get().images.count() == 1
        assert list(article.topics.values_list("name", flat=True)) == ["AI"]
    assert RelatedLink.objects.count() == 4
    assert Image.objects.filter(provider__isnull=True).count() == 8

    # Through the command: exit 1 and the same precise message.
    Article.objects.exclude(id=squatter.id).delete()
    code, out, err = run_import(*files)
    assert code == 1 and "4 created" in out and "1 failed" in out
    assert f"error: {victim}: database: " in err


def test_a_database_error_in_a_one_file_batch_is_reported(tmp_path):
    # Regression: with a single file to write, the DatabaseError escaped and crashed the command.
    (path,) = write_items(tmp_path, {"story.md": item_data(1)})
    record = parse_file(path).record
    Article.objects.create(
        web_url="https://elsewhere.example.net/squatter",
        web_url_hash=url_identity_hash("https://elsewhere.example.net/squatter"),
        slug=slug(record.title, url_identity_hash(record.web_url)),
        title="Squatter",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    report = tmp_path / "report.json"

    code, _, err = run_import(path, report=report)

    assert code == 1
    assert f"error: {path}: database: " in err
    assert json.loads(report.read_text())["summary"]["failed"] == 1


# --- parsing in several processes -----------------------------------------------------------------------


def test_parallel_parsing_gives_the_same_result(tmp_path, monkeypatch):
    files = generate_corpus(tmp_path / "gen", count=600, seed=11, related_rate=0.3)
    assert len(files) == 600 > batch.CHUNK_SIZE
    pools = []
    monkeypatch.setattr(batch, "ProcessPoolExecutor", type("Counted", (ProcessPoolExecutor,), {"__init__": (
        lambda self, *args, **kwargs: pools.append(1) or ProcessPoolExecutor.__init__(self, *args, **kwargs)
    )}))  # fmt: skip

    results = {}
    for jobs in (1, 2):
        outcomes = outcomes_of(files, jobs=jobs)
        results[jobs] = ({path: o.status for path, o in outcomes.items()}, article_snapshot())
        if jobs == 2:
            assert len(pools) == 1
            # Workers start only for something to parse (superseded duplicates are parsed again, so leave them
            # out), and not for a batch of one chunk, whose parsing could not overlap with any writing.
            unchanged = [path for path, o in outcomes_of(files, jobs=1).items() if o.status == UNCHANGED]
            chunk_size = batch.CHUNK_SIZE
            monkeypatch.setattr(batch, "CHUNK_SIZE", 100)
            assert len(unchanged) > 100
            assert {o.status for o in outcomes_of(unchanged, jobs=2).values()} == {UNCHANGED}
            monkeypatch.setattr(batch, "CHUNK_SIZE", chunk_size)
            outcomes_of(files[:10], jobs=2)
            assert len(pools) == 1
        wipe_content()

    statuses, snapshot = results[1]
    assert len(statuses) == 600 and FAILED not in statuses.values()
    assert len(snapshot) > 500
    assert results[2][0] == statuses
    assert results[2][1] == snapshot


def test_parser_workers_run_a_bounded_number_of_chunks_ahead_of_the_writer(tmp_path, monkeypatch):
    # Workers that hold only the next chunk idle while the writer is busy; workers that run unboundedly ahead
    # would hold the whole batch in memory.
    files = generate_corpus(tmp_path / "gen", count=700, seed=5)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 100)  # 7 chunks of two parts of 50 files
    submitted, written, in_hand = [], [], []

    class Counted(ProcessPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    load = batch._load

    def counting_load(parsing, *args):
        in_hand.append(len(submitted) - len(written))  # parts with the workers when a chunk is written
        written.extend(parsing)
        return load(parsing, *args)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(batch, "_load", counting_load)

    outcomes = outcomes_of(files, jobs=2)

    assert len(outcomes) == 700 and FAILED not in {o.status for o in outcomes.values()}
    # The chunk being written and PARSED_AHEAD more, until the batch runs out.
    assert batch.PARSED_AHEAD > 1
    assert in_hand == [2 * min(batch.PARSED_AHEAD + 1, 7 - i) for i in range(7)]


def test_an_import_still_frees_cyclic_garbage_and_leaves_the_collector_as_it_found_it(tmp_path, monkeypatch):
    files = generate_corpus(tmp_path / "gen", count=300, seed=7)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 50)  # outcomes come chunk by chunk: the first long before the last
    threshold, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    gc.unfreeze()  # the import freezes the heap it finds only where nothing else did
    garbage, alive = [], []

    class Node:
        pass

    def on_file(outcome: FileOutcome) -> None:
        # Reference cycles, which only the cyclic collector frees: 300 a file, 90,000 in all.
        for _ in range(300):
            node = Node()
            node.itself = node
            if not garbage:
                garbage.append(weakref.ref(node))
        alive.append(garbage[0]() is not None)

    try:
        import_batch([str(f) for f in files], on_file=on_file, jobs=1)
        assert not alive[-1], "the cycles of the first chunk were still there at the last: memory would grow"
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() == 0
    finally:
        if frozen_before:
            gc.freeze()


def test_the_command_runs_the_checks_an_import_depends_on_and_not_the_sites(tmp_path):
    ran = []
    model_check = checks.register(Tags.models)(lambda **kwargs: ran.append(Tags.models) or [])
    url_check = checks.register(Tags.urls)(lambda **kwargs: ran.append(Tags.urls) or [])
    try:
        (path,) = write_items(tmp_path, {"story.md": item_data(1)})
        call_command("import_articles", str(path), jobs=1, skip_checks=False, stdout=io.StringIO())
    finally:
        for check in (model_check, url_check):
            checks.registry.registry.registered_checks.discard(check)
    assert ran == [Tags.models]
    assert Article.objects.count() == 1


def test_reimports_file_merged_outlets_under_the_provider_they_were_merged_into(tmp_path):
    editor = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-test-password-42")
    uk = {"name": "Example News UK", "domain": "example.co.uk"}
    files = write_items(
        tmp_path, {"one.md": item_data(1), "two.md": item_data(2, provider=uk)}
    )  # both related entries come from other.example.org
    assert run_import(*files)[0] == 0
    keep, dup = Provider.objects.get(domain="example.com"), Provider.objects.get(domain="example.co.uk")
    services.merge_providers(into=keep, duplicates=[dup], by=editor)

    # A changed file, a new one and related coverage all name the merged-away domain again.
    related = [{"title": "UK take", "webUrl": "https://example.co.uk/take", "provider": dict(uk)}]
    files[1].write_text(item_text(item_data(2, provider=uk, title="Changed", related=related)))
    (new,) = write_items(tmp_path, {"three.md": item_data(3, provider={**uk, "merged_domains": ["example.com"]})})
    code, out, err = run_import(*files, new)

    assert code == 0 and "1 created, 1 updated" in out, err
    assert not Provider.objects.filter(domain="example.co.uk").exists()
    assert set(Article.objects.values_list("provider__domain", flat=True)) == {"example.com"}
    assert RelatedLink.objects.get(title="UK take").provider == keep
    # A file cannot claim other outlets' domains: `merged_domains` in its provider is only an unknown field.
    keep.refresh_from_db()
    assert keep.merged_domains == ["example.co.uk"]
    assert not Provider.objects.exclude(merged_domains=[]).exclude(pk=keep.pk).exists()
