"""The JSON API: public data only, filterable like the pages, paginated without counting, and true to its schema."""

from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from tests.public.conftest import make_article, make_provider, make_topic


def test_article_list_is_newest_first_and_paginated_without_count(client, db):
    stories = [make_article(f"Story {n}") for n in range(25)]
    first = client.get("/api/articles/").json()
    assert set(first) == {"next", "previous", "results"}
    assert [item["slug"] for item in first["results"]] == [story.slug for story in stories[:20]]
    assert first["previous"] is None and first["next"] == "http://testserver/api/articles/?page=2"
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert second["previous"] == "http://testserver/api/articles/"
    assert client.get("/api/articles/?page=3").status_code == 404
    assert len(client.get("/api/articles/?page_size=7").json()["results"]) == 7


def test_article_fields_are_an_explicit_public_list(client, newsroom):
    item = client.get("/api/articles/").json()["results"][0]
    assert set(item) == {
        "slug", "url", "title", "excerpt", "published_at", "type", "category", "quality", "heat", "original_url",
        "amp_url", "provider", "topics", "image", "related_count",
    }  # fmt: skip
    assert item["url"] == f"http://testserver/articles/{newsroom['public'].slug}/"
    assert item["provider"] == {
        "name": "Example News",
        "domain": "example.com",
        "url": "http://testserver/providers/example.com/",
        "logo": {"url": "https://img.example.com/logo.png", "width": 50, "height": 50, "title": ""},
    }
    assert item["topics"] == [{"name": "Robots", "slug": "robots", "url": "http://testserver/topics/robots/"}]
    assert item["related_count"] == 2
    detail = client.get(f"/api/articles/{newsroom['public'].slug}/").json()
    assert [link["title"] for link in detail["related"]] == [
        f"Coverage 1 of story {newsroom['public'].id and newsroom['public'].slug.split('-')[1]}",
        f"Coverage 0 of story {newsroom['public'].slug.split('-')[1]}",
    ]  # best quality first


@pytest.mark.parametrize(
    ("query", "expected", "on_pages"),
    [
        ("topic=ai", {"public", "other"}, True),
        ("topic=robots", {"public"}, True),
        ("topic=nope", set(), True),
        ("provider=elsewhere.example", {"elsewhere"}, True),
        ("provider=WWW.Elsewhere.example", {"elsewhere"}, True),
        ("published_after=2020-01-01&published_before=2020-01-15", {"elsewhere"}, True),
        ("published_before=2020-01-14", set(), True),
        ("period=week", {"public", "other"}, True),  # the newsroom's stories are hours old
        ("period=custom", {"public", "other", "elsewhere"}, True),
        # Developer filters: the API only; the pages do not offer editorial internals.
        ("quality_min=50", {"public"}, False),
        ("type=video", {"elsewhere"}, False),
    ],
)
def test_api_filters_like_the_pages(client, newsroom, query, expected, on_pages):
    newsroom["elsewhere"] = make_article(
        "Elsewhere",
        provider=make_provider("elsewhere.example", "Elsewhere"),
        type="video",
        published_at=datetime(2020, 1, 15, 23, 30, tzinfo=UTC),
    )
    slugs = {item["slug"] for item in client.get(f"/api/articles/?{query}").json()["results"]}
    assert slugs == {newsroom[name].slug for name in expected}
    if on_pages:
        page = client.get(f"/?{query}").content.decode()
        links = {name: f'href="/articles/{newsroom[name].slug}/"' for name in ("public", "other", "elsewhere")}
        shown = {name for name, link in links.items() if link in page}
        assert shown == expected


def test_invalid_filters_are_rejected_by_the_api(client, newsroom):
    assert client.get("/api/articles/?quality_min=lots").status_code == 400
    assert client.get("/api/articles/?published_after=yesterday").status_code == 400


def test_topics_and_providers(client, newsroom):
    topics = client.get("/api/topics/").json()
    assert topics == [
        {"name": "AI", "slug": "ai", "url": "http://testserver/topics/ai/", "shortname": "", "description": "",
         "parent": None},
        {"name": "Robots", "slug": "robots", "url": "http://testserver/topics/robots/", "shortname": "",
         "description": "", "parent": "ai"},
    ]  # fmt: skip
    assert client.get("/api/topics/robots/").json()["parent"] == "ai"
    provider = client.get("/api/providers/example.com/").json()
    assert provider["name"] == "Example News" and provider["url"] == "http://testserver/providers/example.com/"


def test_api_root_lists_the_endpoints(client, db):
    root = client.get("/api/").json()
    assert root["articles"] == "http://testserver/api/articles/"
    assert root["schema"] == "http://testserver/api/schema/"


def test_openapi_schema_is_valid_and_documents_the_filters(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    parameters = {p["name"] for p in schema["paths"]["/api/articles/"]["get"]["parameters"]}
    assert {"topic", "provider", "published_after", "published_before", "quality_min", "type", "page"} <= parameters
    assert "secured" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server):
    """Schemathesis drives every operation with generated parameters against a live server."""
    ai = make_topic("AI")
    for n in range(3):
        make_article(f"Schema story {n}", topics=[ai], related=1, slug=f"schema-story-{n}")
    api = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert {operation.path for operation in operations} >= {"/api/articles/", "/api/articles/{slug}/"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def conforms(case):
            case.call_and_validate(base_url=live_server.url)

        conforms()
