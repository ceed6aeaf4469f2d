"""The JSON API: public data only, filterable like the pages, paginated without counting, and true to its schema."""

from datetime import UTC, datetime

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from articles.filters import API_PARAMETERS
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
        "amp_url", "provider", "topics", "image", "related_count", "story",
    }  # fmt: skip
    story = newsroom["public"].story_id
    assert item["story"] == {"id": story, "url": f"http://testserver/api/stories/{story}/"}
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


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("published_before=", "published_before"),
        ("published_before=yesterday", "published_before"),
        ("published_after=10/25/2006", "published_after"),  # ISO dates only, as documented
        ("published_after=2020-02-30", "published_after"),
        ("period=fortnight", "period"),
        ("period=", "period"),
        ("quality_min=lots", "quality_min"),
        ("quality_min=1.5", "quality_min"),
        ("quality_min=99999999999", "quality_min"),
        ("topic=", "topic"),
        ("type=a%00b", "type"),
        ("type=" + "x" * 51, "type"),
        ("type=article&type=video", "type"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=+5", "page_size"),
        ("page=0", "page"),
        ("page=junk", "page"),
        ("page=1&page=2", "page"),
    ],
)
def test_invalid_parameters_answer_400_naming_the_parameter(client, newsroom, query, parameter):
    response = client.get(f"/api/articles/?{query}")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [parameter] and all(isinstance(message, str) for message in errors[parameter])


def test_pagination_parameters_are_checked_on_every_list(client, newsroom):
    assert client.get("/api/providers/?page_size=abc").json() == {"page_size": ["A whole number from 1 to 100."]}
    assert client.get("/api/providers/?page_size=1").status_code == 200


def test_the_pages_stay_lenient_where_the_api_is_strict(client, newsroom):
    # A form submits its empty fields; a reader's page never answers 400.
    for query in ("published_before=", "period=", "page_size=abc", "quality_min=lots", "type=x"):
        assert client.get(f"/?{query}").status_code == 200, query
    # Except for what no page can honour: a position that is not one, text PostgreSQL cannot hold.
    assert client.get("/?before=junk").status_code == client.get("/?type=x%00").status_code == 400


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
    articles = schema["paths"]["/api/articles/"]["get"]
    parameters = {p["name"]: p["schema"] for p in articles["parameters"]}
    assert set(parameters) == {*API_PARAMETERS, "page", "page_size"}
    assert parameters["published_before"] == {"type": "string", "format": "date"}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameters["type"]["maxLength"] == 50 and parameters["type"]["minLength"] == 1
    assert parameters["period"]["enum"] == ["day", "week", "month", "custom"]
    for path in ("/api/articles/", "/api/providers/", "/api/stories/"):
        invalid = schema["paths"][path]["get"]["responses"]["400"]["content"]["application/json"]["schema"]
        assert invalid["oneOf"][0]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "secured" not in response.content.decode()


@pytest.mark.parametrize("target", ["/api/stories/?a%00b=1", "/api/articles/?topic=a%00b", "/api/providers/?page=x"])
def test_every_api_400_has_the_shape_its_schema_declares(client, db, target):
    # A NUL in a parameter's name is refused before the API sees it, as {"detail": ...}: the schema says so too.
    schema = client.get("/api/schema/?format=json").json()
    path = target.partition("?")[0]
    declared = schema["paths"][path]["get"]["responses"]["400"]["content"]["application/json"]["schema"]
    response = client.get(target)
    assert response.status_code == 400
    jsonschema.validate(response.json(), declared)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(live_server, mode):
    """Schemathesis drives every operation against a live server with every check it has: values the schema
    allows are accepted (2xx, or 404 for what does not exist), values it forbids are refused with a 4xx, and
    every response matches what the schema declares for its status."""
    ai = make_topic("AI")
    for n in range(3):
        make_article(f"Schema story {n}", topics=[ai], related=1, slug=f"schema-story-{n}")
    load_all_checks()
    every_check = list(CHECKS.get_all())
    api = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert {operation.path for operation in operations} >= {
        "/api/articles/",
        "/api/articles/{slug}/",
        "/api/stories/",
        "/api/stories/{id}/",
    }
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not len(operation.query):
            continue  # any string is a valid slug or domain: only query parameters can be wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def conforms(case):
            case.call_and_validate(base_url=live_server.url, checks=every_check)

        conforms()
