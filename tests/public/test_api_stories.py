"""`/api/stories/`: the river as JSON, in the pages' order and with their filters, in keyset pages; each story in full;
strict parameters (a 400 naming the parameter), as the schema declares them."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.stories.cursor import PATTERN
from tests.public.conftest import join_story, make_article, make_provider, make_topic

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def stories():
    ai = make_topic("AI")
    lead = make_article("Lead report", quality=80, published_at=NOW - timedelta(hours=6), topics=[ai], related=2)
    member = make_article("Member report", published_at=NOW - timedelta(hours=1), provider=make_provider("b.example"))
    draft = make_article("Draft report", published=False, published_at=NOW)
    story = join_story(lead, member, draft)
    singles = [make_article(f"Single {n}", published_at=NOW - timedelta(hours=2 + n)) for n in range(5)]
    return {"lead": lead, "member": member, "draft": draft, "story": story, "singles": singles, "ai": ai}


def test_list_is_the_river(client, stories):
    data = client.get("/api/stories/").json()
    assert set(data) == {"next", "results"} and data["next"] is None
    results = data["results"]
    assert [story["lead"]["title"] for story in results] == ["Lead report", *(f"Single {n}" for n in range(5))]
    story = results[0]
    assert set(story) == {"id", "url", "latest_at", "outlet_count", "lead", "coverage"}
    assert story["id"] == stories["story"].pk and story["url"] == f"http://testserver/api/stories/{story['id']}/"
    assert story["latest_at"] == stories["member"].published_at.isoformat().replace("+00:00", "Z")
    assert story["lead"]["story"] == {"id": story["id"], "url": story["url"]}
    assert [item["title"] for item in story["coverage"]] == ["Member report", *(
        f"Coverage {n} of story {stories['lead'].slug.split('-')[1]}" for n in (1, 0))]  # fmt: skip
    member = story["coverage"][0]
    assert member["url"] == f"http://testserver/articles/{stories['member'].slug}/"
    assert member["original_url"] == stories["member"].web_url
    assert member["outlet"]["domain"] == "b.example" and member["image"]["width"] == 800
    link = story["coverage"][1]
    assert link["url"] is None and link["outlet"]["logo"]["url"] == "https://img.other1.example.org/logo.png"
    assert story["outlet_count"] == 4
    assert "Draft report" not in str(data) and "SECRET-BLOB" not in str(data)


def test_pages_follow_next_and_never_repeat(client, stories):
    seen, url = [], "/api/stories/?page_size=2"
    while url:
        data = client.get(url).json()
        seen += [story["id"] for story in data["results"]]
        url = data["next"]
        if url:
            assert re.fullmatch(r"http://testserver/api/stories/\?before=[0-9]+_[0-9]+&page_size=2", url)
    assert seen == [story["id"] for story in client.get("/api/stories/").json()["results"]]
    assert client.get("/api/stories/?before=0_1").status_code == 404


def test_filters_place_and_lead_as_on_the_pages(client, stories):
    topic = client.get("/api/stories/?topic=ai").json()["results"]
    # Only the lead is filed under AI: the story is placed by it (6 hours), not by the member (1 hour).
    assert [story["latest_at"] for story in topic] == [stories["lead"].published_at.isoformat().replace("+00:00", "Z")]
    outlet = client.get("/api/stories/?provider=b.example").json()["results"]
    assert [story["lead"]["title"] for story in outlet] == ["Member report"]
    assert outlet[0]["coverage"][0]["title"] == "Lead report"
    assert client.get("/api/stories/?quality_min=50").json()["results"][0]["lead"]["title"] == "Lead report"


def test_detail_lists_the_public_articles_and_the_coverage(client, stories):
    data = client.get(f"/api/stories/{stories['story'].pk}/").json()
    assert [article["title"] for article in data["articles"]] == ["Lead report", "Member report"]
    assert data["lead"]["title"] == "Lead report" and len(data["coverage"]) == 3
    assert data["latest_at"] == stories["member"].published_at.isoformat().replace("+00:00", "Z")
    ghost = make_article("Only a draft", published=False)
    for path in (f"/api/stories/{ghost.story_id}/", "/api/stories/999999999999999999/", "/api/stories/x/"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("before=junk", "before"),
        ("before=", "before"),
        ("before=1_2&before=3_4", "before"),
        ("before=12345678901234567_1", "before"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("topic=", "topic"),
        ("quality_min=lots", "quality_min"),
        ("published_after=someday", "published_after"),
    ],
)
def test_invalid_parameters_answer_400_naming_the_parameter(client, stories, query, parameter):
    response = client.get(f"/api/stories/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_schema_documents_the_stories(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/stories/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["before"] == {"type": "string", "pattern": f"^{PATTERN}$"}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert {"topic", "provider", "period", "published_after", "published_before", "quality_min", "type"} < set(
        parameters
    )
    assert set(operation["responses"]) >= {"200", "400", "404"}
    detail = schema["paths"]["/api/stories/{id}/"]["get"]
    assert detail["parameters"][0]["schema"]["type"] == "integer"
    assert client.get("/api/").json()["stories"] == "http://testserver/api/stories/"
