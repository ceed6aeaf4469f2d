"""Property-based tests of the item parser: it never crashes, text survives exactly as normalised, URL identity
is stable, and nothing PostgreSQL refuses gets into a record."""

import dataclasses
import json
import re
import string
from datetime import date, datetime
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.ingest import fields as f
from articles.ingest import yamlsafe
from articles.ingest.parser import parse_bytes
from articles.ingest.records import ParseResult
from articles.ingest.yamlsafe import FastLoader

PATH = "fuzz/item.md"
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = {"webUrl": "https://example.com/story", "publishedDateTime": "2021-03-04T10:00:00Z"}


def check_result_shape(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert result.path == PATH
    assert (result.record is None) == bool(result.errors)
    assert result.ok == (result.record is not None)
    for problem in [*result.errors, *result.warnings]:
        assert str(problem).startswith(f"{PATH}: {problem.field}: ")
        assert problem.reason


# --------------------------------------------------------------------------- never raises

# Fragments of YAML and of the item format, so that generated files get past decoding and framing.
YAMLISH = st.sampled_from(
    [
        "title: ",
        "webUrl: ",
        "originalUrl: ",
        "publishedDateTime: ",
        "quality: ",
        "published: ",
        "topics:",
        "images:",
        "related:",
        "provider:",
        "  - url: ",
        "  domain: ",
        "https://Example.com/a?",
        "javascript:alert(1)",
        "/assets/x.png",
        "2021-03-04T10:00:00Z",
        "2021-03-04",
        "true",
        "null",
        "12",
        "-1",
        "'",
        '"',
        "\\",
        "\\x07",
        "\\0",
        "[",
        "]",
        "{",
        "}",
        ",",
        ": ",
        "- ",
        "? ",
        "\n",
        "  ",
        "\t",
        "&a ",
        "*a",
        "<<: ",
        "!!str ",
        "!!binary ",
        "!!python/name:os.system ",
        "# comment",
        "|",
        ">",
        "---",
        "...",
        "\x00",
        "\x1b",
        "é",
        "\ufeff",
        "\u2028",
    ]
)
FRAMED_TEXT = st.lists(YAMLISH, max_size=60).map(lambda parts: "---\n" + "".join(parts) + "\n---\n")
FRAMED_FRAGMENTS = st.builds(
    lambda parts: "---\ntitle: x\nwebUrl: https://example.com/\npublishedDateTime: 2021-03-04\n" + "".join(parts),
    st.lists(YAMLISH, max_size=60),
).map(lambda body: body + "\n---\n")
ANY_FILE = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda t: ("---\n" + t + "\n---\n").encode()),
    FRAMED_TEXT.map(lambda t: t.encode()),
    FRAMED_FRAGMENTS.map(lambda t: t.encode()),
    st.tuples(FRAMED_FRAGMENTS, st.binary(max_size=50)).map(lambda pair: pair[0].encode() + pair[1]),
)


@FAST
@given(data=ANY_FILE, base_url=st.sampled_from(["", "https://everyday-cc.github.io/ai/"]))
def test_parser_never_raises_and_always_explains(data, base_url):
    check_result_shape(parse_bytes(data, PATH, base_url))


# --------------------------------------------------------------------------- text fields survive exactly

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def expected_text(value: str, max_length: int) -> str:
    """What the design asks of a text field: controls stripped, whitespace collapsed, capped with an ellipsis."""
    value = " ".join(_CONTROLS.sub("", value).split())
    return value if len(value) <= max_length else value[: max_length - 1].rstrip() + "…"


@FAST
@given(
    title=st.text(),
    excerpt=st.text(),
    allow_unicode=st.booleans(),
    ampersand=st.booleans(),
)
def test_title_and_excerpt_round_trip_through_yaml(title, excerpt, allow_unicode, ampersand):
    document = {"title": title, "excerpt": excerpt, **HEADER}
    if ampersand:  # an '&' in ordinary text sends the file through the anchor check
        document["note"] = "fish & chips"
    dumped = yaml.safe_dump(document, allow_unicode=allow_unicode)
    # What YAML itself reads back is the input the parser sees. They differ only where PyYAML's emitter
    # writes a raw NEL (U+0085) with allow_unicode=True, which YAML then reads as a line break (a space).
    loaded = yaml.safe_load(dumped)
    if not allow_unicode:
        assert (loaded["title"], loaded["excerpt"]) == (title, excerpt)
    title, excerpt = loaded["title"], loaded["excerpt"]
    result = parse_bytes(("---\n" + dumped + "---\n").encode(), PATH)
    check_result_shape(result)
    if not expected_text(title, 1000):
        assert [(e.field, e.reason) for e in result.errors] == [("title", "must not be empty")]
        return
    assert result.ok, [str(e) for e in result.errors]
    assert result.record.title == expected_text(title, 1000)
    assert result.record.excerpt == expected_text(excerpt, 10_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(title=st.text(min_size=1001, max_size=1500))
def test_long_titles_are_capped_at_one_thousand(title):
    source = "---\n" + yaml.safe_dump({"title": title, **HEADER}) + "---\n"
    result = parse_bytes(source.encode(), PATH)
    check_result_shape(result)
    if result.ok:
        assert len(result.record.title) <= 1000
        assert result.record.title == expected_text(title, 1000)
    else:
        assert [(e.field, e.reason) for e in result.errors] == [("title", "must not be empty")]


# --------------------------------------------------------------------------- URL identity

LABEL = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
HOST_LABEL = st.one_of(LABEL, st.tuples(LABEL, LABEL).map("-".join))
HOST = st.lists(HOST_LABEL, min_size=1, max_size=4).map(".".join)
PATH_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/%"
SCHEME = st.sampled_from(["http", "https", "HTTP", "Https", "hTtPs"])


@st.composite
def http_urls(draw) -> tuple[str, str]:
    """A valid http(s) URL and what its identity must be (scheme and host lower-cased, nothing else changed)."""
    scheme = draw(SCHEME)
    userinfo = draw(st.sampled_from(["", "user@", "User:Secret@"]))
    host = draw(HOST)
    port = draw(st.sampled_from(["", ":80", ":8080", ":443"]))
    rest = draw(st.one_of(st.just(""), st.text(PATH_CHARS, max_size=40).map("/".__add__)))
    if draw(st.booleans()):
        rest += "?" + draw(st.text(PATH_CHARS + "?", max_size=30))  # may be an empty query: kept
    if draw(st.booleans()):
        rest += "#" + draw(st.text(PATH_CHARS + "?#", max_size=20))
    url = f"{scheme}://{userinfo}{host}{port}{rest}"
    return url, f"{scheme.lower()}://{userinfo}{host.lower()}{port}{rest}"


@FAST
@given(case=http_urls(), padding=st.sampled_from(["", " ", "\n", " \t "]))
def test_valid_urls_keep_their_identity_and_normalise_idempotently(case, padding):
    raw, identity = case
    once = f.url(padding + raw + padding)
    assert once == identity
    assert f.url(once) == once
    assert f.image_url(once) == once or "&#038;" in once or "&#38;" in once


# Tab, CR and LF are listed explicitly: urlsplit silently deletes them, so they must be refused before it.
URLISH = st.lists(
    st.one_of(
        st.sampled_from(
            ["https://", "http://", "HTTP://", "//", ":", "@", "[", "]", "?", "#", "/", "%", ".", "\t", "\n"]
        ),
        st.characters(),
    ),
    max_size=40,
).map("".join)


@FAST
@given(value=st.one_of(URLISH, st.builds(lambda s: "https://" + s, URLISH)))
def test_url_on_any_text_is_invalid_or_a_stable_http_url(value):
    try:
        once = f.url(value)
    except f.Invalid:
        return
    assert not any(c in value.strip() for c in "\t\r\n")  # inside a URL they are refused, never dropped
    assert once.startswith(("http://", "https://"))
    assert not f.CONTROL_CHARS.search(once)
    assert f.url(once) == once


# --------------------------------------------------------------------------- nothing PostgreSQL refuses

NASTY = st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83c\udf89", "\x07", "\x1b", "\x85", "\u2028", "\ufffe", " "])
NASTY_TEXT = st.lists(st.one_of(NASTY, st.characters()), max_size=30).map("".join)
FIELD_TEXT = st.one_of(st.text(max_size=20), NASTY_TEXT)  # some files clean enough for the fast loader to accept


def quoted(value: str) -> str:
    """A YAML double-quoted scalar; its escapes (\\u0000, \\ud800 ...) reach the YAML loader as escapes."""
    return json.dumps(value)


def strings_in(value, where="record"):
    """Every string inside a record (dataclass fields, list items, dict keys and values), with its location."""
    if isinstance(value, str):
        yield where, value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from strings_in(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, list | tuple | frozenset):
        for index, item in enumerate(value):
            yield from strings_in(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key, f"{where} key")
            yield from strings_in(item, f"{where}[{key!r}]")
    else:
        assert value is None or isinstance(value, bool | int | float | date | datetime), (where, value)


POSTGRES_REFUSES = re.compile(r"[\x00\ud800-\udfff]")


@FAST
@given(
    texts=st.lists(FIELD_TEXT, min_size=14, max_size=14),
    ampersand=st.booleans(),
)
def test_records_never_hold_nul_or_lone_surrogates(texts, ampersand):
    t = [quoted(value) for value in texts]
    source = f"""---
title: {quoted("Title " + texts[0])}
webUrl: "https://example.com/story"
publishedDateTime: 2021-03-04T10:00:00Z
excerpt: {t[1]}
category: {t[2]}
type: {t[3]}
secured: {t[4]}
topics: [{t[5]}, {t[6]}]
provider:
  name: {t[7]}
  domain: example.com
  motto: {t[8]}
images:
  - url: {quoted("https://example.com/i.jpg?" + texts[9])}
    title: {t[10]}
related:
  - title: {quoted("Related " + texts[11])}
    webUrl: https://example.org/r
    excerpt: {t[12]}
    images: [{{url: "https://example.org/r.jpg", caption: {t[13]}}}]
unknown: {{list: [{t[1]}, {t[2]}], nested: {{value: {t[3]}}}}}
{'note: "fish & chips"' if ampersand else ""}
---
"""
    result = parse_bytes(source.encode(), PATH)
    check_result_shape(result)
    if result.record is not None:
        for where, value in strings_in(result.record):
            assert not POSTGRES_REFUSES.search(value), (where, value)
            value.encode("utf-8")  # PostgreSQL text is UTF-8: every string must encode


@settings(max_examples=50, deadline=None)
@given(title=st.text(st.characters(codec="utf-8"), min_size=1, max_size=50))
def test_ordinary_generated_files_import(title):
    # A sanity anchor for the properties above: ordinary files generated the same way do import.
    source = "---\n" + yaml.safe_dump({"title": "Headline " + title, **HEADER}, allow_unicode=True) + "---\n"
    result = parse_bytes(source.encode(), PATH)
    assert result.ok, [str(e) for e in result.errors]
    assert result.record.title.startswith("Headline")


URLISH = st.text(alphabet="hHtTpPsS:/.?#@[]%:-_ aZ09\u00e9\\", max_size=40)


@FAST
@given(st.sampled_from(["http://", "HTTPS://", "https://", "ftp://", "http:/", ""]), URLISH)
def test_url_fast_path_agrees_with_urlsplit(prefix, rest):
    """`url` skips urlsplit for plain URLs; whenever it does, the result is what urlsplit's path gives."""
    value = prefix + rest
    plain = f._plain_url(value)
    if plain is not None:
        assert plain == f._split_url(value)


@FAST
@given(st.text(max_size=60), st.booleans())
def test_text_fast_path_agrees_with_full_cleaning(value, single_line):
    cleaned = f.CONTROL_CHARS.sub("", value)
    cleaned = (re.sub(r"\s+", " ", cleaned) if single_line else cleaned).strip()
    assert f.text(value, max_length=1000, single_line=single_line) == cleaned


def _load_both(source: str):
    """(value or error) from FastLoader and from PyYAML's own CSafeLoader, for comparison."""
    results = []
    for loader in (FastLoader, yaml.CSafeLoader):
        try:
            results.append(("value", yaml.load(source, Loader=loader)))  # noqa: S506 - both are safe loaders
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            results.append(("error", type(exc).__name__, str(exc)))
    return results


YAML_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=25,
)


@FAST
@given(YAML_VALUES, st.booleans())
def test_fast_loader_builds_what_pyyaml_builds_from_dumped_data(value, flow):
    assert_same(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))


@FAST
@given(FRAMED_TEXT)
def test_fast_loader_agrees_with_pyyaml_on_fragments(text):
    # Merge keys, tags, aliases, broken syntax: whatever PyYAML builds or refuses, the fast loader does too.
    assert_same(text.removeprefix("---\n").removesuffix("\n---\n"))


def assert_same(source: str) -> None:
    fast, standard = _load_both(source)
    assert fast == standard
    if fast[0] == "value":  # equal values could still differ in type (1 == True == 1.0)
        assert repr(fast[1]) == repr(standard[1])


def test_fast_loader_falls_back_for_tags_merge_keys_and_odd_keys():
    for source in [
        "base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n",
        "data: !!binary aGVsbG8=\n",
        "s: !!set {a, b}\n",
        "o: !!omap [a: 1, b: 2]\n",
        "2021-03-04: a date key\n",
        "? [a, b]\n: a list key\n",
        "=: value key\n",
        "m: !!str {a: 1}\n",
        "n: !!python/name:os.system\n",
    ]:
        assert_same(source)


# --------------------------------------------------------------------------- '&' and '*' in text: the fast check


def load_outcome(source: str) -> tuple:
    try:
        value, stripped = yamlsafe.load_mapping(source)
    except yamlsafe.FrontMatterError as exc:
        return ("refused", exc.field, exc.reason)
    return ("loaded", repr(value), stripped)


def strict_only(source: str, first_line: int):
    """What load_mapping did before the fast check: the pure-Python StrictLoader for every suspect text."""
    loader = type("StrictLoaderAt", (yamlsafe.StrictLoader,), {"first_line": first_line})
    return yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader


def refuses_anchors(outcome: tuple) -> bool:
    return outcome[0] == "refused" and outcome[2].startswith(("anchors are not allowed", "aliases are not allowed"))


def read_alike_by_libyaml_and_python(source: str) -> bool:
    """Whether libyaml and PyYAML's pure-Python parser agree on the text (they differ on some broken YAML), as
    load_mapping gives it to them: without control characters ("---\\x00&\\t" is read as "---&\\t")."""
    source = yamlsafe._CONTROL.sub("", source)
    outcomes = []
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        try:
            outcomes.append(repr(yaml.load(source, Loader=loader)))  # noqa: S506 - safe loaders
        except (yaml.YAMLError, ValueError, RecursionError):
            outcomes.append("error")
    return outcomes[0] == outcomes[1]


def assert_fast_check_agrees_with_strict_loader(source: str) -> None:
    fast = load_outcome(source)
    with mock.patch.object(yamlsafe, "_load_refusing_anchors", strict_only):
        slow = load_outcome(source)
    # Anchors and aliases are refused exactly when the strict loader refuses them, with the same message.
    assert refuses_anchors(fast) == refuses_anchors(slow), (fast, slow)
    # Otherwise the text is read by libyaml, like every file without '&' or '*': the same result wherever
    # libyaml and the pure-Python parser read the text alike.
    if refuses_anchors(slow) or read_alike_by_libyaml_and_python(source):
        assert fast == slow


# Text full of '&', '*' and '!' in every place they can stand, with and without being anchors, aliases or tags.
AMPERSANDISH = st.sampled_from(
    ["R&D", " & ", "&", "*", "!", "&x", "*x", "!x", "a&b", "3*4", "&amp;", "w=1&h=2", "**bold**", "!!", "&&", " "]
)
AMP_TEXT = st.lists(st.one_of(AMPERSANDISH, st.text(max_size=4)), max_size=8).map("".join)
AMP_VALUES = st.recursive(
    st.one_of(AMP_TEXT, st.integers(), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(AMP_TEXT, inner, max_size=3),
    max_leaves=12,
)
ANCHORED = st.sampled_from(["", "&a ", "!!str ", "&a !!str ", "!!str &a ", "!!binary ", "!x "])


@st.composite
def documents_with_ampersands(draw) -> str:
    """A dumped mapping (block or flow) whose text holds '&' and '*', maybe with a real anchor, alias or tag added."""
    value = draw(st.dictionaries(AMP_TEXT, AMP_VALUES, min_size=1, max_size=4))
    text = yaml.safe_dump(value, default_flow_style=draw(st.booleans()), allow_unicode=True, width=10**6)
    properties = draw(ANCHORED)
    if properties:
        # Right after a key's ': ' (or a sequence's '- '), where a node's properties may stand.
        spots = [m.end() for m in re.finditer(r"(?:: |- )", text)]
        if spots:
            at = draw(st.sampled_from(spots))
            text = text[:at] + properties + text[at:]
    if draw(st.booleans()):
        text += draw(st.sampled_from(["alias: *a\n", "merged: {<<: *a}\n", "list: [*a]\n", "late: &b [x]\n"]))
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_with_ampersands())
def test_the_fast_anchor_check_agrees_with_the_strict_loader_on_documents(text):
    assert_fast_check_agrees_with_strict_loader(text)


@FAST
@given(st.lists(st.one_of(YAMLISH, AMPERSANDISH), max_size=40).map("".join))
def test_the_fast_anchor_check_agrees_with_the_strict_loader_on_fragments(text):
    assert_fast_check_agrees_with_strict_loader(text)


@pytest.mark.parametrize(
    "source",
    [
        'title: "Azure ML & Purview"\nurl: https://example.com/?a=1&b=2\n',
        "name: U.S. News & World Report\nnote: 3 * 4\n",
        "a: &x 1\n",
        "a: [1, *x]\n",
        "a: !!str &x 1\nb: *x\n",
        "a: &x\nb: 2\n",
        "&root\na: 1\n",
        "? &k key\n: value\n",
        "a:\n  - &s\n    - 1\n",
        "a: 'x & y'\nb:",
        "a: |\n  block & text\n  *not an alias\n",
        "---\x00&\t",  # found by Hypothesis: libyaml and PyYAML read the text left without its NUL differently
        "\ufefftitle: &a ",  # found by Hypothesis: libyaml's marks do not count a byte-order mark
        "\ufeffa: &x [1]\nb: *x\n",
    ],
)
def test_the_fast_anchor_check_agrees_with_the_strict_loader_on_examples(source):
    assert_fast_check_agrees_with_strict_loader(source)


def test_real_files_with_ampersands_in_their_text_skip_the_pure_python_loader(corpus):
    # The point of the fast check: '&' in titles and names is common in real files, anchors are not.
    suspects = []
    for path in sorted(corpus.rglob("*.md")):
        source = yamlsafe.split_front_matter(yamlsafe.decode(path.read_bytes()))
        if yamlsafe._SUSPECT_TOKEN.search(source):
            suspects.append(source)
    assert len(suspects) >= 5
    with mock.patch.object(yamlsafe.StrictLoader, "__init__", side_effect=AssertionError("the pure-Python loader ran")):
        for source in suspects:
            assert isinstance(yamlsafe.load_mapping(source)[0], dict)
