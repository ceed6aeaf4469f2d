"""No input makes the site fail: hypothesis writes paths and query strings for every public route and API endpoint
(arbitrary text with NUL and control characters, long and odd unicode, percent-encoded junk) and sends them over
HTTP to gunicorn serving PostgreSQL, as in production. Nothing may answer 5xx.

Routes come from the URLconf itself, so a route added later is fuzzed too, with the query parameters its view
declares to the page cache. Each route first gets one explicit example per kind of trouble (the value in every path
segment and every parameter at once), then random ones; derandomised (the same requests on every run), at most 440
requests in all.
"""

from urllib.parse import quote

import pytest
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.public.conftest import make_article, make_provider, make_topic
from tests.servers import gunicorn_site, site_env

RANDOM_EXAMPLES_PER_ROUTE = 12
# Read by drf-spectacular's schema view, or by nothing (`utm_source`); DRF's `format` only in random examples, as any
# unknown format ends in a 404 before the view looks at anything else.
GENERIC_PARAMETERS = ["version", "lang", "utm_source"]
# One value per kind of trouble, so that a few hundred requests meet every kind: NUL and other control characters,
# text that normalises to nothing, long runs of operators, huge numbers, bidi and zero-width characters, long text.
HOSTILE_TEXT = ["\x00", "a\x00b", "\x01", "\x1f\x7f", "\n", "\r\n", " ", "\u2003", "WWW.", "www.", ".", "..", "-",
                "-" * 40, "- " * 40, "0", "-1", "1e9", "2.5", "9" * 30, "٢", "\u202e", "\ufeff", "𝕏" * 20,
                "<script>alert(1)</script>", "' OR 1=1 --", "ﷺ" * 60, "x" * 1500]  # fmt: skip
# Percent-encoded bytes that are not text: bare and broken escapes, invalid and overlong UTF-8, a lone surrogate.
RAW_JUNK = ["%", "%%", "%zz", "%0", "%ff", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%80%AE", "+", ";", "&&", "=",
            "?", "%2F", "%2e%2e"]  # fmt: skip

hostile = st.one_of(
    st.sampled_from([quote(value, safe="") for value in HOSTILE_TEXT]),
    st.sampled_from(RAW_JUNK),
    st.text(max_size=40).map(lambda value: quote(value, safe="")),
    st.text(st.characters(min_codepoint=0x80, codec="utf-8"), min_size=40, max_size=200).map(
        lambda value: quote(value, safe="")
    ),
)
# The explicit examples: NUL, a control character (fatal in a header), blank and "www." (domains that normalise to
# nothing), a run of negations, a huge number, a lone surrogate's bytes, long text.
EXPLICIT = ["%00", "%01", "%20", "WWW.", quote("- " * 40), "9" * 30, "%ED%A0%80", "x" * 1500]


def public_routes() -> dict[str, list[str]]:
    """Every route but the admin's, as a template such as `/articles/<slug:slug>/`, with the query parameters its
    view reads (declared to articles.cache) and the generic ones."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), getattr(pattern.callback, "query_parameters", ())

    routes = walk(get_resolver().url_patterns, "/")
    return {route: [*params, *GENERIC_PARAMETERS] for route, params in sorted(routes) if not route.startswith("/^")}


ROUTES = public_routes()


def test_the_fuzzed_routes_are_the_sites_routes():
    assert {"/", "/search/", "/api/articles/", "/api/articles/<str:slug>/", "/providers/<str:domain>/",
            "/api/schema/", "/sitemap-<section>.xml", "/feeds/topics/<slug:slug>/atom/"} <= set(ROUTES)  # fmt: skip
    assert not any(route.startswith("/admin") for route in ROUTES)
    assert ROUTES["/search/"][:2] == ["q", "page"] and "topic" in ROUTES["/api/articles/"]


def fill(route: str, values: list[str]) -> str:
    """The route with each `<converter:name>` replaced by the next of `values` (already percent-encoded)."""
    parts, rest = [], route
    for value in values:
        if "<" not in rest:
            break
        head, _, tail = rest.partition("<")
        parts.append(head + value)
        rest = tail.partition(">")[2]
    return "".join(parts) + rest


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    with gunicorn_site(site_env(), tmp_path_factory.mktemp("fuzz") / "gunicorn.log") as site:
        yield site


@pytest.fixture
def world(newsroom):
    make_article("Outlet story", provider=make_provider("news.example.org", "Example Org"), topics=[make_topic("AI")])
    return {"slug": newsroom["public"].slug, "topic": "robots", "domain": "example.com", "section": "articles"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", ROUTES)
def test_no_input_makes_a_route_fail(site, world, route):
    names, slots = ROUTES[route], route.count("<")
    real = st.sampled_from([world["slug"], world["topic"], world["domain"], world["section"]])
    segment = st.one_of(hostile, real, st.tuples(real, hostile).map("".join), st.tuples(hostile, real).map("".join))
    pair = st.tuples(st.sampled_from([*names, "format"]), hostile).map("=".join)
    query = st.lists(st.one_of(pair, pair, st.tuples(hostile, hostile).map("=".join), hostile), max_size=4)

    @given(method=st.sampled_from(["GET", "GET", "GET", "HEAD"]), segments=st.lists(segment, min_size=slots,
           max_size=slots), query=query.map("&".join))  # fmt: skip
    @hypothesis_settings(
        max_examples=RANDOM_EXAMPLES_PER_ROUTE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_without_failing(method, segments, query):
        target = fill(route, segments) + (f"?{query}" if query else "")
        status = site.fetch(method, target)
        assert status < 500, f"{method} {target} -> {status}\n" + "\n".join(site.log_lines()[-20:])

    for value in EXPLICIT:
        query = "&".join(f"{name}={value}" for name in names)
        answers_without_failing = example(method="GET", segments=[value] * slots, query=query)(answers_without_failing)
    answers_without_failing()


@pytest.mark.django_db(transaction=True)
def test_the_reported_inputs_over_http(site, world):
    """The cases the production probe found (issue 9), through gunicorn's own header checks."""
    for target in ["/search/?q=%00", "/api/articles/%00/", "/api/providers/%00/", "/api/topics/%00/",
                   "/providers/%00/", "/providers/WWW./", "/providers/%20/", "/api/schema/?version=%00",
                   "/api/schema/?version=%01", "/api/schema/?version=%0A", "/search/?q=" + "-" * 40]:  # fmt: skip
        assert site.fetch("GET", target) < 500, target
