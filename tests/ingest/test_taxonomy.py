"""`import_taxonomy`: topic YAML and organization files enrich Topic and Provider, never duplicate them."""

from pathlib import Path

import pytest
import yaml

from articles.models import Article, ArticleTopic, Image, Topic
from providers.models import Provider
from tests.factories import item_data, write_items
from tests.factories import run_command as run

pytestmark = pytest.mark.django_db

TOPIC_NAMES = {
    "AI", "Machine Learning", "Computer Vision", "Natural Language Processing", "AI Ethics", "AI Hardware",
    "AI in Autos", "AI in Healthcare", "AI in Finance", "AI in Marketing", "AI in Sales", "AI in Education",
    "AI in Robotics", "AI in Security", "AWS AI", "Microsoft AI", "Google AI", "Facebook AI", "Meta AI", "IBM AI",
    "TensorFlow", "Math for AI",
}  # fmt: skip


def organization(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def state() -> dict:
    return {
        "topics": sorted(
            Topic.objects.values_list("name", "slug", "parent__name", "shortname", "description", "keywords", "extra")
        ),
        "providers": sorted(Provider.objects.values_list("domain", "name", "other_names", "extra")),
        "images": Image.objects.count(),
    }


@pytest.fixture
def taxonomy(corpus) -> Path:
    return corpus / "_data"


def test_taxonomy_loads_topics_with_parents_and_providers_with_other_names(taxonomy):
    out = run("import_taxonomy", taxonomy)

    assert out.strip() == "22 topics, 76 providers imported, 0 failed"
    assert set(Topic.objects.values_list("name", flat=True)) == TOPIC_NAMES
    assert Topic.objects.count() == 22  # tags (taxonomy: tag) are not topics

    ml = Topic.objects.select_related("parent").get(name="Machine Learning")
    assert ml.parent.name == "AI"
    assert (ml.slug, ml.shortname) == ("machine-learning", "ML")
    assert ml.description == "Systems learn from data to improve on tasks."
    assert ml.keywords == ["machine learning", "ml", "deep learning", "neural network"]
    assert ml.extra["hashtags"] == ["#ML"]
    assert Topic.objects.get(name="TensorFlow").parent.name == "Google AI"
    assert Topic.objects.get(name="AI").parent is None
    assert Topic.objects.filter(parent__name="AI").count() == 20
    assert set(Topic.objects.get(name="AI").children.values_list("name", flat=True)) == TOPIC_NAMES - {
        "AI", "TensorFlow"
    }  # fmt: skip

    # Plain YAML files that end with a stray '---' line load completely.
    stray = [p for p in sorted((taxonomy / "topics").glob("*.yaml")) if p.read_text().rstrip().endswith("---")]
    assert len(stray) == 5
    for path in stray:
        data = yaml.safe_load(path.read_text().rsplit("---", 1)[0])
        topic = Topic.objects.get(name=data["name"])
        assert topic.keywords == data.get("keywords", [])
        assert topic.parent.name == data["parent"]
        assert topic.shortname == data["shortname"]
    assert Topic.objects.get(name="AI in Finance").keywords == ["bank", "finance"]

    files = sorted((taxonomy / "organizations").iterdir())
    assert len(files) == 76
    assert Provider.objects.count() == 76
    expected = {organization(p)["domain"]: organization(p) for p in files}
    assert dict(Provider.objects.values_list("domain", "name")) == {d: o["name"].strip() for d, o in expected.items()}
    guardian = Provider.objects.get(domain="theguardian.com")  # the file without `.md`
    assert guardian.name == "The Guardian"
    other_names = {p.domain: p.other_names for p in Provider.objects.exclude(other_names=[])}
    assert other_names == {
        "mit.edu": ["Massachusetts Institute of Technology"],
        "stanford.edu": ["Stanford University"],
        "uw.edu": ["University of Washington"],
        "wsj.com": ["The Wall Street Journal", "Wall Street Journal"],
    }
    # Every logo path in these files is site-relative: nothing fetchable, nothing stored.
    assert not Image.objects.exists()


def test_taxonomy_reimport_is_idempotent(taxonomy):
    run("import_taxonomy", taxonomy)
    before = state()

    out = run("import_taxonomy", taxonomy)

    assert out.strip() == "22 topics, 76 providers imported, 0 failed"
    assert state() == before
    assert Topic.objects.count() == 22 and Provider.objects.count() == 76


def test_item_topics_match_taxonomy_topics_case_insensitively(taxonomy, tmp_path):
    run("import_taxonomy", taxonomy)
    ids = dict(Topic.objects.values_list("name", "id"))
    files = write_items(
        tmp_path,
        {
            "a.md": item_data(1, topics=["machine learning", "ai"]),
            "b.md": item_data(2, topics=["MACHINE LEARNING", "Computer vision"]),
        },
    )

    run("import_articles", *files, jobs=1)

    assert Topic.objects.count() == 22
    a, b = (Article.objects.get(source_path=str(path)) for path in files)

    def file_topics(article):
        return set(article.topic_links.filter(source=ArticleTopic.Source.FILE).values_list("topic_id", flat=True))

    assert file_topics(a) == {ids["Machine Learning"], ids["AI"]}
    assert file_topics(b) == {ids["Machine Learning"], ids["Computer Vision"]}
    # "machine learning" in the title: the taxonomy's parent "AI" follows automatically.
    assert b.topic_links.get(source=ArticleTopic.Source.AUTO).topic_id == ids["AI"]
    assert Topic.objects.get(name="Machine Learning").parent.name == "AI"


def test_taxonomy_after_items_enriches_the_topics_items_created(taxonomy, tmp_path):
    (path,) = write_items(tmp_path, {"a.md": item_data(1, topics=["Machine Learning", "Deep Learning"])})
    run("import_articles", path, jobs=1)
    provider_before = Provider.objects.get(domain="example.com").id

    run("import_taxonomy", taxonomy)

    # No duplicates: the item's topic is the taxonomy's topic, now with its parent and keywords.
    assert Topic.objects.count() == 23  # the 22 taxonomy topics + "Deep Learning" from the item
    article = Article.objects.get()
    ml = article.topics.get(name="Machine Learning")
    assert ml.parent.name == "AI" and "neural network" in ml.keywords
    assert Provider.objects.get(domain="example.com").id == provider_before


def test_taxonomy_does_not_recreate_a_provider_merged_away(tmp_path):
    keep = Provider.objects.create(domain="example.com", name="Example News", merged_domains=["example.co.uk"])
    data = tmp_path / "example-uk.md"
    data.write_text("---\ntaxonomy: organization\ndomain: example.co.uk\nname: Example UK\notherNames: [EUK]\n---\n")

    run("import_taxonomy", data)

    assert list(Provider.objects.values_list("domain", "name", "other_names")) == [
        ("example.com", "Example News", ["Example UK", "EUK"])
    ]
    run("import_taxonomy", data)  # idempotent
    assert Provider.objects.get(pk=keep.pk).other_names == ["Example UK", "EUK"]


def test_taxonomy_keeps_an_editors_provider_name_and_fills_a_missing_one(tmp_path):
    Provider.objects.create(domain="example.com", name="Example (edited)", other_names=["EX"])
    Provider.objects.create(domain="unnamed.example", name="unnamed.example")
    for slug, domain, name in [("example", "example.com", "Example News"), ("unnamed", "unnamed.example", "Unnamed")]:
        text = f"---\ntaxonomy: organization\ndomain: {domain}\nname: {name}\notherNames: [EX, {name} Daily]\n---\n"
        (tmp_path / f"{slug}.md").write_text(text)

    run("import_taxonomy", tmp_path)
    run("import_taxonomy", tmp_path)  # idempotent

    assert sorted(Provider.objects.values_list("domain", "name", "other_names")) == [
        ("example.com", "Example (edited)", ["EX", "Example News", "Example News Daily"]),
        ("unnamed.example", "Unnamed", ["EX", "Unnamed Daily"]),
    ]


def test_taxonomy_reimport_keeps_a_cached_logo_and_replaces_a_changed_one(tmp_path):
    data = tmp_path / "example.md"
    logo = "https://example.com/logo-{}.png"
    text = "---\ntaxonomy: organization\ndomain: example.com\nname: Example\nimages: [{{url: '{}', width: 50}}]\n---\n"
    data.write_text(text.format(logo.format(1)))
    run("import_taxonomy", data)
    cached = Image.objects.get(provider__domain="example.com")
    Image.objects.filter(pk=cached.pk).update(status=Image.Status.CACHED, file="images/logo-1.png")

    run("import_taxonomy", data)  # the same logo: its row and cached copy stay, nothing to fetch again
    assert list(Image.objects.values_list("pk", "url", "status")) == [(cached.pk, logo.format(1), "cached")]

    data.write_text(text.format(logo.format(2)))
    run("import_taxonomy", data)  # a new logo replaces the old one
    assert list(Image.objects.values_list("url", "status", "width")) == [(logo.format(2), "pending", 50)]
