"""Input that once made the site fail (issue 9) gets a clear 4xx: a styled page for readers, JSON under the API.

Run on PostgreSQL (`make test`): NUL bytes and the tsquery limit are PostgreSQL's refusals.
"""

import re

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.api.pagination import PublicPagination
from articles.search import MAX_QUERY_LENGTH, websearch_text
from articles.selectors import MAX_PAGE

# What gunicorn lets through in a response header value (RFC 9110 field-value); anything else becomes a 500.
HEADER_VALUE = re.compile(r"[ \t\x21-\x7e\x80-\xff]*")

NUL_PAGES = ["/search/?q=%00", "/providers/%00/", "/topics/a%00b/", "/articles/%00/", "/?topic=ai%00",
             "/?page=%00", "/?%00=1", "/feeds/topics/%00/rss/"]  # fmt: skip
NUL_API = ["/api/articles/%00/", "/api/providers/%00/", "/api/topics/%00/", "/api/articles/?type=%00",
           "/api/articles/?page=%00", "/api/schema/?version=%00"]  # fmt: skip


def bad_request_page(response) -> str:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<h1 id="page-title">Bad request</h1>' in html
    assert '<main id="content"' in html and '<header class="site-header">' in html  # the site's own layout
    assert "no-store" in response["Cache-Control"]
    return html


@pytest.mark.parametrize("path", NUL_PAGES)
def test_nul_in_a_page_address_is_a_styled_400(client, newsroom, path):
    html = bad_request_page(client.get(path))
    assert "characters that no page here can use" in html


@pytest.mark.parametrize("path", NUL_API)
def test_nul_in_an_api_address_is_a_json_400(client, newsroom, path):
    response = client.get(path)
    assert response.status_code == 400
    message = "The address contains characters that no page here can use."
    # In a parameter's value, the refusal names the parameter, as the API's other 400s do.
    parameter = path.partition("?")[2].partition("=")[0]
    assert response.json() == ({parameter: [message]} if parameter else {"detail": message})


@pytest.mark.parametrize("domain", ["WWW.", "www.", "%20", "%E2%80%83", "..", "-", "a..b", "%C3%28", "x" * 300])
def test_a_provider_address_that_is_no_domain_is_not_found(client, newsroom, domain):
    # "WWW." is the domain "www" (redirected there), which has no page.
    assert client.get(f"/providers/{domain}/", follow=True).status_code == 404


def test_provider_addresses_still_redirect_to_their_canonical_domain(client, newsroom):
    for variant in ("WWW.Example.COM", "example.com.", "%20example.com"):
        response = client.get(f"/providers/{variant}/")
        assert response.status_code == 301 and response["Location"] == "/providers/example.com/", variant


@pytest.mark.parametrize("version", ["%01", "%0A", "%0D%0Aset-cookie:%20x=1", "%C3%A9", "1.0.0"])
def test_the_schema_ignores_a_version_parameter(client, db, version):
    plain = client.get("/api/schema/")
    response = client.get(f"/api/schema/?version={version}")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert HEADER_VALUE.fullmatch(disposition) and disposition == plain["Content-Disposition"]
    assert response.content == plain.content


@pytest.mark.parametrize("q", ["-" * 33, "-" * 200, "- " * 60, "-" * 40 + "robots", "robots " + "-" * 50 + " laundry"])
def test_searches_of_many_hyphens(client, newsroom, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200


def test_hyphens_keep_their_meaning(client, newsroom):
    html = client.get("/search/", {"q": "robots ---laundry"}).content.decode()
    assert f"/articles/{newsroom['other'].slug}/" in html  # "robots" in its excerpt, no "laundry"
    assert f"/articles/{newsroom['public'].slug}/" not in html  # "Robots learn to fold laundry"


def test_admin_search_of_many_hyphens(admin_client, newsroom):
    for q in ("-" * 40, "- " * 40, "laundry " + "-" * 40):
        assert admin_client.get("/admin/articles/article/", {"q": q}).status_code == 200, q


negations = st.lists(
    st.one_of(
        st.integers(1, 80).map(lambda n: "-" * n),
        st.sampled_from(
            [
                " ",
                "- ",
                " -",
                '"',
                "'",
                "or",
                " or ",
                "the",
                "!",
                "&",
                "|",
                "(",
                ")",
                ":*",
                "<->",
                "\\",
                "_",
                ".",
                "~",
                "robot",
                "x-y",
                "é",
                "1",
            ]
        ),
    ),
    max_size=80,
).map("".join)


@pytest.mark.django_db
@given(q=negations)
@hypothesis_settings(max_examples=200, derandomize=True, database=None, deadline=None)
def test_postgresql_parses_every_search_text(q):
    if connection.vendor != "postgresql":
        pytest.skip("websearch_to_tsquery is PostgreSQL's")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english', %s)::text", [websearch_text(" ".join(q.split()))])


def test_search_text_keeps_words_and_one_negation():
    assert websearch_text("robots ---laundry") == "robots -laundry"
    assert websearch_text("self-driving cars -trucks") == "self-driving cars -trucks"
    assert websearch_text('"machine learning" or !--x') == '"machine learning" or !-x'


def test_search_terms_longer_than_the_limit_are_refused_not_cut(client, newsroom):
    html = bad_request_page(client.get("/search/", {"q": "x" * (MAX_QUERY_LENGTH + 1)}))
    assert f"Search terms are limited to {MAX_QUERY_LENGTH} characters." in html
    assert client.get("/search/", {"q": "x" * MAX_QUERY_LENGTH}).status_code == 200
    # Whitespace is collapsed first: what counts is what is searched for.
    assert client.get("/search/", {"q": "robots" + " " * 500 + "laundry"}).status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "1e3", "²", "٣", str(MAX_PAGE + 1), "9" * 5000, "1_0"])
def test_page_numbers_out_of_range_are_a_400(client, newsroom, page):
    html = bad_request_page(client.get("/top/", {"page": page}))
    assert f"page must be a whole number from 1 to {MAX_PAGE}." in html
    assert client.get("/search/", {"q": "robots", "page": page}).status_code == 400
    response = client.get("/api/articles/", {"page": page})
    assert response.status_code == 400
    assert response.json() == {"page": [f"page must be a whole number from 1 to {MAX_PAGE}."]}
    assert client.get("/api/providers/", {"page": page}).status_code == 400


def test_page_numbers_that_are_fine(client, newsroom):
    assert client.get("/top/", {"page": ""}).status_code == 200
    assert client.get("/top/", {"page": " 1 "}).status_code == 200
    assert client.get("/top/", {"page": "0001"}).status_code == 200
    assert client.get("/top/", {"page": "2"}).status_code == 404  # a real number past the last page: not found
    assert client.get("/api/articles/", {"page": "500"}).status_code == 404  # the deepest page served, past the end


def test_api_pages_reach_back_a_bounded_depth(client, newsroom):
    # Page 501 starts 10,000 rows back (50,000 at 100 a page): a 400 that says how to reach older items instead.
    for query in ({"page": "501"}, {"page": "501", "page_size": "1"}, {"page": str(MAX_PAGE)}):
        response = client.get("/api/articles/", query)
        assert response.status_code == 400
        assert response.json() == {"page": [PublicPagination.depth_message]}
        assert "published_before=YYYY-MM-DD" in PublicPagination.depth_message
    assert client.get("/api/articles/", {"page": "500", "page_size": "100"}).status_code == 404  # in reach, empty


@pytest.mark.parametrize("before", ["abc", "1", "1_", "_1", "1.5_2", "1_2_3", "+1_2", "²_1", "1_٣", "9" * 5000 + "_1"])
def test_river_positions_that_are_not_one_are_a_400(client, newsroom, before):
    html = bad_request_page(client.get("/", {"before": before}))
    assert "Not a position in the list" in html
    assert client.get("/topics/ai/", {"before": before}).status_code == 400
    assert client.get("/providers/example.com/", {"before": before}).status_code == 400
    response = client.get("/api/stories/", {"before": before})
    assert response.status_code == 400 and list(response.json()) == ["before"]


def test_river_positions_that_are_fine(client, newsroom):
    assert client.get("/", {"before": ""}).status_code == 200  # an empty form field: the newest stories
    assert client.get("/", {"before": "1234567890123456_7"}).status_code == 404  # 2009, past the end: not found
    assert client.get("/", {"before": "9999999999999999_1"}).status_code == 200
    assert client.get("/", {"page": "junk"}).status_code == 200  # the river has no page numbers: ignored


def test_the_api_schema_declares_the_page_bounds(client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/articles/", "/api/providers/"):
        page = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page")
        assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": PublicPagination.max_page}
        assert "400" in schema["paths"][path]["get"]["responses"]
