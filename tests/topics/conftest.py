"""A constructed taxonomy, written as the YAML files `import_taxonomy` reads, and helpers to look at topic links."""

from pathlib import Path

import pytest
import yaml

from articles.models import Article
from tests.admin.conftest import make_user
from tests.factories import run_command

TAXONOMY = [
    {"name": "AI", "keywords": ["artificial intelligence", "ai"]},
    {"name": "Machine Learning", "shortname": "ML", "parent": "AI",
     "keywords": ["machine learning", "ml", "deep learning"]},
    {"name": "Computer Vision", "shortname": "Vision", "parent": "AI",
     "keywords": ["computer vision", "facial recognition", "rekognition"]},
    {"name": "AI in Robotics", "shortname": "Robotics", "parent": "AI", "keywords": ["robotics", "robot"]},
    {"name": "AI in Sales", "shortname": "Sales", "parent": "AI", "keywords": ["crm", "sales"]},
    {"name": "AWS AI", "parent": "AI", "keywords": ["aws", "amazon rekognition", "sagemaker"]},
    {"name": "Microsoft AI", "parent": "AI", "keywords": ["azure", "microsoft"]},
]  # fmt: skip


def write_taxonomy(directory: Path, topics: list[dict] = TAXONOMY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for n, topic in enumerate(topics):
        (directory / f"{n:02d}.yaml").write_text(yaml.safe_dump({"taxonomy": "topic", **topic}), encoding="utf-8")
    return directory


@pytest.fixture
def taxonomy(tmp_path, db) -> Path:
    directory = write_taxonomy(tmp_path / "taxonomy")
    run_command("import_taxonomy", directory)
    return directory


@pytest.fixture
def editor_client(client, db):
    """A member of the Editors group (the real role), logged in."""
    client.editor = make_user("edna", "Editors")
    client.force_login(client.editor)
    return client


def links(article: Article) -> set[tuple[str, str, str]]:
    """(topic name, source, term) of each of the article's topics."""
    return set(article.topic_links.values_list("topic__name", "source", "term"))
