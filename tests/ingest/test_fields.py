"""Table-driven tests of the single-value normalisers in `articles.ingest.fields`."""

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from articles.ingest import fields as f
from articles.limits import INT_MAX, INT_MIN, URL_MAX_LENGTH

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)

# --------------------------------------------------------------------------- url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("HTTPS://EXAMPLE.COM", "https://example.com"),
        ("Http://Example.Com/Path/To?Query=Value#Frag", "http://example.com/Path/To?Query=Value#Frag"),
        ("  https://example.com/padded \n", "https://example.com/padded"),
        ("https://example.com/a?", "https://example.com/a?"),  # an empty query is part of the identity
        ("https://example.com/a#", "https://example.com/a#"),
        ("https://example.com?", "https://example.com?"),
        ("https://example.com/a//b/./c/../", "https://example.com/a//b/./c/../"),  # no path normalisation
        ("https://example.com/%7Euser/%41", "https://example.com/%7Euser/%41"),  # escapes untouched
        ("https://example.com/a b", "https://example.com/a b"),  # nothing else changed
        ("https://User:PassWord@Host.Example.COM:8443/x", "https://User:PassWord@host.example.com:8443/x"),
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("https://Bücher.DE/Straße", "https://bücher.de/Straße"),
        ("https://example.com/" + "a" * (URL_MAX_LENGTH - 20), "https://example.com/" + "a" * (URL_MAX_LENGTH - 20)),
    ],
)
def test_url_lowercases_scheme_and_host_only(raw, expected):
    assert f.url(raw) == expected
    assert f.url(expected) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("javascript:alert(1)", "only http and https URLs are allowed, not javascript:"),
        ("JavaScript:alert(1)", "only http and https URLs are allowed, not javascript:"),
        ("data:text/html,<b>x</b>", "only http and https URLs are allowed, not data:"),
        ("ftp://example.com/file", "only http and https URLs are allowed, not ftp:"),
        ("mailto:someone@example.com", "only http and https URLs are allowed, not mailto:"),
        ("/assets/logo.png", "only http and https URLs are allowed, not a relative URL"),
        ("//example.com/a", "only http and https URLs are allowed, not a relative URL"),
        ("example.com/a", "only http and https URLs are allowed, not a relative URL"),
        ("https://", "URL has no valid host"),
        ("https:///path", "URL has no valid host"),
        ("http://exa mple.com/", "URL has no valid host"),
        ("http://example.com:99999/", "malformed URL"),
        ("http://example.com:port/", "malformed URL"),
        ("http://[::1/", "malformed URL"),
        ("https://exa\x00mple.com/", "control characters in URL"),
        ("https://example.com/\x1b[31m", "control characters in URL"),
        ("https://example.com/\ud800", "control characters in URL"),
        ("https://example.com/" + "a" * URL_MAX_LENGTH, f"longer than {URL_MAX_LENGTH} characters"),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        (None, "expected a URL, got nothing (null)"),
        (42, "expected a URL, got int"),
        (["https://example.com/"], "expected a URL, got a list"),
    ],
)
def test_url_rejects(raw, reason):
    with pytest.raises(f.Invalid) as caught:
        f.url(raw)
    assert str(caught.value).startswith(reason)


@pytest.mark.parametrize("raw", ["https://exa\tmple.com/p", "https://exam\nple.com/", "https://example.com/a\tb"])
def test_url_rejects_tab_and_newline(raw):
    with pytest.raises(f.Invalid):
        f.url(raw)


@pytest.mark.parametrize(
    ("raw", "base_url", "expected"),
    [
        ("https://example.com/i.jpg?w=1&#038;h=2", "", "https://example.com/i.jpg?w=1&h=2"),
        ("https://example.com/i.jpg?w=1&#38;h=2", "", "https://example.com/i.jpg?w=1&h=2"),
        ("https://example.com/i.jpg?w=1&amp;h=2", "", "https://example.com/i.jpg?w=1&amp;h=2"),  # only WordPress' form
        ("/assets/logo.jpg", "https://everyday-cc.github.io/ai/", "https://everyday-cc.github.io/ai/assets/logo.jpg"),
        (" /assets/logo.jpg ", "https://site.example/", "https://site.example/assets/logo.jpg"),
    ],
)
def test_image_url(raw, base_url, expected):
    assert f.image_url(raw, base_url=base_url) == expected


@pytest.mark.parametrize(
    ("raw", "base_url"),
    [
        ("/assets/logo.jpg", ""),
        ("//evil.example/logo.jpg", "https://site.example/"),  # protocol-relative is not site-relative
        ("javascript:alert(1)", "https://site.example/"),
    ],
)
def test_image_url_rejects(raw, base_url):
    with pytest.raises(f.Invalid):
        f.image_url(raw, base_url=base_url)


# --------------------------------------------------------------------------- domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("www.example.com", "example.com"),
        ("WWW.Example.com.", "example.com"),
        ("  news.bbc.co.uk  ", "news.bbc.co.uk"),
        ("wwwexample.com", "wwwexample.com"),
        ("https://www.bbc.co.uk/news/world", "bbc.co.uk"),
        ("example.com/path", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("a-b.example", "a-b.example"),
        ("localhost", "localhost"),
    ],
)
def test_domain_normalises(raw, expected):
    assert f.domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "not a valid domain name"),
        ("a..b", "not a valid domain name"),
        ("exa mple.com", "not a valid domain name"),
        ("-leading.com", "not a valid domain name"),
        ("trailing-.com", "not a valid domain name"),
        ("under_score.com", "not a valid domain name"),
        ("example.com:8080", "not a valid domain name"),
        ("user@example.com", "not a valid domain name"),
        ("a" * 64 + ".com", "not a valid domain name"),
        (".".join(["abcdefghij"] * 25), "not a valid domain name"),  # 274 characters
        ("<script>.com", "not a valid domain name"),
        (None, "expected a domain, got nothing (null)"),
        (5, "expected a domain, got int"),
    ],
)
def test_domain_rejects(raw, reason):
    with pytest.raises(f.Invalid, match=re.escape(reason)):
        f.domain(raw)


# --------------------------------------------------------------------------- integer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, 0),
        (86, 86),
        (-1, -1),
        ("12", 12),
        (" 12 ", 12),
        ("-5", -5),
        (12.0, 12),
        (INT_MAX, INT_MAX),
        (INT_MIN, INT_MIN),
        (str(INT_MAX), INT_MAX),
    ],
)
def test_integer_accepts(raw, expected):
    value = f.integer(raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (INT_MAX + 1, "outside the range"),
        (INT_MIN - 1, "outside the range"),
        (2**40, "outside the range"),
        ("99999999999", "outside the range"),
        (1e20, "outside the range"),
        ("1234567890123", "expected an integer, got str"),  # more digits than any integer column
        ("12.5", "expected an integer, got str"),
        ("+5", "expected an integer, got str"),
        ("1e3", "expected an integer, got str"),
        ("twelve", "expected an integer, got str"),
        ("", "expected an integer, got str"),
        (12.5, "expected an integer, got float"),
        (float("nan"), "expected an integer, got float"),
        (float("inf"), "expected an integer, got float"),
        (True, "expected an integer, got a boolean"),
        (None, "expected an integer, got nothing (null)"),
        ([1], "expected an integer, got a list"),
    ],
)
def test_integer_rejects(raw, reason):
    with pytest.raises(f.Invalid, match=re.escape(reason)):
        f.integer(raw)


@pytest.mark.parametrize(("raw", "ok"), [(1, True), (1200, True), (0, False), (-50, False)])
def test_dimension_must_be_positive(raw, ok):
    if ok:
        assert f.dimension(raw) == raw
    else:
        with pytest.raises(f.Invalid, match="must be positive"):
            f.dimension(raw)


@pytest.mark.parametrize(("raw", "ok"), [(True, True), (False, True), ("yes", False), ("true", False), (1, False)])
def test_boolean_only_accepts_real_booleans(raw, ok):
    if ok:
        assert f.boolean(raw) is raw
    else:
        with pytest.raises(f.Invalid, match="expected true or false"):
            f.boolean(raw)


# --------------------------------------------------------------------------- timestamp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-03-04", datetime(2021, 3, 4, tzinfo=UTC)),
        (date(2021, 3, 4), datetime(2021, 3, 4, tzinfo=UTC)),
        ("2021-03-04T10:00:00Z", datetime(2021, 3, 4, 10, tzinfo=UTC)),
        ("2021-03-04T10:00:00.250Z", datetime(2021, 3, 4, 10, 0, 0, 250_000, tzinfo=UTC)),
        ("2021-03-04T10:00:00+02:00", datetime(2021, 3, 4, 8, tzinfo=UTC)),
        ("2021-03-04T00:30:00+01:00", datetime(2021, 3, 3, 23, 30, tzinfo=UTC)),
        ("2021-03-04T10:00:00-0530", datetime(2021, 3, 4, 15, 30, tzinfo=UTC)),
        ("2021-03-04 10:00:00Z", datetime(2021, 3, 4, 10, tzinfo=UTC)),
        ("2021-03-04T10:00:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),  # naive means UTC
        ("  2021-03-04T10:00:00Z  ", datetime(2021, 3, 4, 10, tzinfo=UTC)),
        (datetime(2021, 3, 4, 10, tzinfo=timezone(timedelta(hours=-5))), datetime(2021, 3, 4, 15, tzinfo=UTC)),
        (datetime(2021, 3, 4, 10), datetime(2021, 3, 4, 10, tzinfo=UTC)),
        ("1900-01-01", datetime(1900, 1, 1, tzinfo=UTC)),
        ("2024-01-02T12:00:00Z", NOW + timedelta(days=1)),  # exactly the tolerance
        ("2024-01-02T13:00:00+01:00", NOW + timedelta(days=1)),
    ],
)
def test_timestamp_is_aware_utc(raw, expected):
    moment = f.timestamp(raw, now=NOW)
    assert moment == expected
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("yesterday", "not an ISO 8601 date-time: 'yesterday'"),
        ("", "not an ISO 8601 date-time"),
        ("04/03/2021", "not an ISO 8601 date-time"),
        ("2021-02-30", "not an ISO 8601 date-time"),
        ("2021-03-04T25:00:00Z", "not an ISO 8601 date-time"),
        ("x" * 1000, "not an ISO 8601 date-time: '" + "x" * 40 + "'"),  # the echo is bounded
        ("2024-01-02T12:00:01Z", "is in the future"),
        ("2024-01-04", "is in the future"),
        (date(2030, 1, 1), "is in the future"),
        ("1899-12-31T23:59:59Z", "is implausibly old"),
        (1614852000, "expected a date-time, got int"),
        (None, "expected a date-time, got nothing (null)"),
        (["2021-03-04"], "expected a date-time, got a list"),
    ],
)
def test_timestamp_rejects(raw, reason):
    with pytest.raises(f.Invalid) as caught:
        f.timestamp(raw, now=NOW)
    assert reason in str(caught.value)


def test_timestamp_defaults_now_to_the_current_time():
    assert f.timestamp(datetime.now(UTC) + timedelta(hours=23)) > datetime.now(UTC)
    with pytest.raises(f.Invalid, match="in the future"):
        f.timestamp(datetime.now(UTC) + timedelta(days=3))


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:00:00-05:00",
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_timestamp_out_of_datetime_range_is_invalid(raw):
    with pytest.raises(f.Invalid):
        f.timestamp(raw, now=NOW)


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("raw", "max_length", "expected"),
    [
        ("plain", 10, "plain"),
        ("  padded  ", 10, "padded"),
        ("a  b\n\tc", 10, "a b c"),
        ("non\u00a0breaking\u2028line\u3000gap", 50, "non breaking line gap"),
        ("bell\x07 nul\x00 esc\x1b del\x7f c1\x85\x9f", 50, "bell nul esc del c1"),
        ("lone\ud800surrogate", 50, "lonesurrogate"),
        ("é, 中文, emoji 🎉", 50, "é, 中文, emoji 🎉"),
        ("<b>not</b> &amp; html", 50, "<b>not</b> &amp; html"),  # plain text: nothing unescaped or stripped
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch…"),
        ("four five six", 10, "four five…"),  # the space before the ellipsis is trimmed
        ("x" * 100_000, 1000, "x" * 999 + "…"),
        (12, 10, "12"),
        (1.5, 10, "1.5"),
        ("   ", 10, ""),
        ("\x07\x00", 10, ""),
    ],
)
def test_text_normalises(raw, max_length, expected):
    value = f.text(raw, max_length=max_length)
    assert value == expected
    assert len(value) <= max_length


def test_text_can_keep_line_breaks():
    assert f.text(" line one\n  line two ", max_length=50, single_line=False) == "line one\n  line two"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "expected text, got nothing (null)"),
        (True, "expected text, got a boolean"),
        (["a"], "expected text, got a list"),
        ({"a": 1}, "expected text, got a mapping"),
        (b"bytes", "expected text, got bytes"),
    ],
)
def test_text_rejects_non_text(raw, reason):
    with pytest.raises(f.Invalid, match=re.escape(reason)):
        f.text(raw, max_length=10)


@pytest.mark.parametrize("raw", ["", "  ", "\x00\x07", "\u2028\t"])
def test_required_text_rejects_empty(raw):
    with pytest.raises(f.Invalid, match="must not be empty"):
        f.required_text(raw, max_length=10)


# --------------------------------------------------------------------------- json_safe (unknown fields)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"a": [1, "x\x00y", None, True]}, {"a": [1, "xy", None, True]}),
        (date(2020, 1, 2), "2020-01-02"),
        (datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), "2020-01-02T03:04:05+00:00"),
        ({1: "int key"}, {"1": "int key"}),
        (2**70, str(2**70)),  # beyond what JSON readers keep exactly
    ],
)
def test_json_safe(raw, expected):
    assert f.json_safe(raw) == expected


@pytest.mark.parametrize("raw", [b"bytes", {"a", "b"}, ("a", 1), object()])
def test_json_safe_refuses_non_json_types(raw):
    with pytest.raises(f.Invalid, match="unsupported value"):
        f.json_safe(raw)
