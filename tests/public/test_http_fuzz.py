"""No input makes the site fail: hypothesis writes paths and query strings for every public route and API endpoint
(arbitrary text with NUL and control characters, long and odd unicode, percent-encoded junk) and sends them over
HTTP to gunicorn serving PostgreSQL, as in production. Nothing may answer 5xx.

Routes come from the URLconf itself, so a route added later is fuzzed too. Examples are derandomised (the same
requests on every run) and kept to a few hundred in all.
"""

from urllib.parse import quote

import pytest
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.public.conftest import make_article, make_provider, make_topic
from tests.servers import gunicorn_site, site_env

EXAMPLES_PER_ROUTE = 14
KNOWN_PARAMETERS = ["q", "page", "page_size", "topic", "provider", "published_after", "published_before",
                    "quality_min", "type", "format", "version", "lang", "p", "utm_source", "next"]  # fmt: skip
ODD_VALUES = ["", " ", "-" * 40, "- " * 40, "\x00", "a\x00b", "WWW.", "www.", "..", ".", "0", "-1", "1e9", "2.5",
              "99999999999999999999999", "٢", "\u202e", "\ufeff", "𝕏𝕐", "\r\n", "<script>alert(1)</script>",
              "' OR 1=1 --", "%", "\ud7ff", "ﷺ" * 30]  # fmt: skip
# Percent-encoded bytes that are not text: bare and broken escapes, invalid and overlong UTF-8, a lone surrogate.
RAW_JUNK = ["%", "%%", "%zz", "%0", "%00", "%ff", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%80%AE", "%0D%0A",
            "+", ";", "&&", "=", "?", "%2F", "%2e%2e"]  # fmt: skip

text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x7F), min_size=300, max_size=1000),
    st.text(st.characters(min_codepoint=0x80), min_size=40, max_size=200),
    st.sampled_from(ODD_VALUES),
)
encoded = st.one_of(text.map(lambda value: quote(value, safe="")), st.sampled_from(RAW_JUNK))
pair = st.tuples(st.one_of(st.sampled_from(KNOWN_PARAMETERS), encoded), encoded).map(
    lambda kv: f"{quote(kv[0], safe='') if kv[0] in KNOWN_PARAMETERS else kv[0]}={kv[1]}"
)
query = st.one_of(st.just(""), st.lists(st.one_of(pair, st.sampled_from(RAW_JUNK)), max_size=5).map("&".join))


def public_routes() -> list[str]:
    """Every route but the admin's, as a template such as `articles/<slug:slug>/`."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return sorted(route for route in walk(get_resolver().url_patterns, "/") if not route.startswith("/^"))


ROUTES = public_routes()


def test_the_fuzzed_routes_are_the_sites_routes():
    assert {"/", "/search/", "/api/articles/", "/api/articles/<str:slug>/", "/providers/<str:domain>/",
            "/api/schema/", "/sitemap-<section>.xml", "/feeds/topics/<slug:slug>/atom/"} <= set(ROUTES)  # fmt: skip
    assert not any(route.startswith("/admin") for route in ROUTES)


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
    real = st.sampled_from([world["slug"], world["topic"], world["domain"], world["section"]])
    segment = st.one_of(real, encoded)

    @given(
        method=st.sampled_from(["GET", "GET", "GET", "HEAD"]),
        segments=st.lists(segment, min_size=route.count("<"), max_size=route.count("<")),
        query=query,
    )
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_ROUTE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_without_failing(method, segments, query):
        target = fill(route, segments) + (f"?{query}" if query else "")
        status = site.fetch(method, target)
        assert status < 500, f"{method} {target} -> {status}\n" + "\n".join(site.log_lines()[-20:])

    answers_without_failing()


@pytest.mark.django_db(transaction=True)
def test_the_reported_inputs_over_http(site, world):
    """The cases the production probe found (issue 9), through gunicorn's own header checks."""
    for target in ["/search/?q=%00", "/api/articles/%00/", "/api/providers/%00/", "/api/topics/%00/",
                   "/providers/%00/", "/providers/WWW./", "/providers/%20/", "/api/schema/?version=%00",
                   "/api/schema/?version=%01", "/api/schema/?version=%0A", "/search/?q=" + "-" * 40]:  # fmt: skip
        assert site.fetch("GET", target) < 500, target
