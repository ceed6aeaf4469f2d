"""yaml-rs loads plain front matter (articles/ingest/yamlsafe.py, load_common): whenever it answers, the answer is
PyYAML's, value for value and type for type; whatever the two could read differently goes to PyYAML."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.ingest import yamlsafe
from tests.factories import generate_corpus

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_reads_as_pyyaml(source: str) -> object:
    """load_common's answer for the text load_mapping would give it, checked against PyYAML's."""
    source = yamlsafe._CONTROL.sub("", source)
    value = yamlsafe.load_common(source)
    if value is yamlsafe.DEFERRED:
        return value
    try:
        expected = yaml.load(source, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        pytest.fail(f"yaml-rs loaded a text PyYAML refuses ({type(exc).__name__}: {exc}): {source!r}")
    if value is yamlsafe.TOO_DEEP:
        assert yamlsafe._depth(expected) > yamlsafe.MAX_DEPTH
    else:
        assert value == expected
        assert repr(value) == repr(expected), source  # 1 == True == 1.0: the types must be PyYAML's too
    return value


# Plain scalars YAML 1.1 and 1.2 read differently, or that only look alike, each in every place a value stands.
TRICKY = st.sampled_from(
    [
        *("yes", "No", "on", "OFF", "y", "n", "true", "True", "tRUE", "~", "null", "NULL", "=", "<<"),
        *("017", "-017", "+017", "0o17", "0b11", "0x1F", "-0x1F", "1_000", "0_9", "1:20", "12", "-0", "+12", "0"),
        *("1e3", "+.5", ".5", "12.", ".inf", "-.Inf", ".nan", "99999999999999999999999", "9" * 4300, "9" * 4301),
        *("2024-05-01", "2024-05-01T10:00:00Z", "2024-5-1T1:00:00Z", "2024-05-01T10:00Z", "2024-05-01 10:00:00 -5"),
        *("2024-05-01t10:00:00.5+02:00", "2024-02-30", "2024-05-01T25:00:00Z", "20240501", "2024-05-01T10:00:00+0200"),
        *("'2024-05-01'", '"2024-05-01T10:00:00Z"', '"\\x32024-05-01"', '"\\u00332024-05-01"', "'yes'", '"017"'),
        *("|\n  2024-05-01\n", ">-\n  2024-05-01\n", "|\n  yes\n", '"\\\n  2024-05-01"', "'\n  2024-05-01'"),
        *("!!str 017", "!!int '7'", "!foo x", "? x", "%x", "Wow! yes", "a ? b", "10,000", "R&D", "x # 017"),
        *("It's 2024-05-01", "https://example.com/a?b=017&c", "1.5", "'it''s'", '"\\t\\u00e9"', "", "''", '""'),
    ]
)
KEYS = st.one_of(st.sampled_from(["title", "webUrl", "2024-05-01", "yes", "on", "1", "017", "? k", "1.5"]), TRICKY)


@st.composite
def item_like(draw) -> str:
    """A document laid out as item files are (block mappings and sequences, sometimes flow), of tricky scalars."""
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key, value = draw(KEYS), draw(TRICKY)
        shape = draw(st.sampled_from(["plain", "list", "flow", "nested"]))
        if shape == "plain" or value.startswith(("|", ">", '"\\\n', "'\n")):
            lines.append(f"{key}: {value}")
        elif shape == "list":
            lines.append(f"{key}:\n  - {value}\n  - {draw(TRICKY)}")
        elif shape == "flow":
            lines.append(f"{key}: [{value}, {draw(TRICKY)}]")
        else:
            lines.append(f"{key}:\n  inner: {value}")
    return "\n".join(lines) + "\n"


@FAST
@given(item_like())
def test_item_like_documents_read_as_pyyaml_reads_them(source):
    assert_reads_as_pyyaml(source)


YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.datetimes()
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4),
    max_leaves=25,
)


@FAST
@given(st.dictionaries(st.text(max_size=8), YAML_VALUES, min_size=1, max_size=5), st.booleans())
def test_dumped_data_reads_as_pyyaml_reads_it(value, flow):
    assert_reads_as_pyyaml(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))


# Pieces of YAML, broken or not: yaml-rs may refuse more than PyYAML, never load what PyYAML refuses or differs on.
PIECES = st.sampled_from(
    [
        *("title: ", "a: ", "  b: ", "- ", "? ", ": ", "\n", "  ", "\t", "# c", "---", "...", "%YAML 1.1"),
        *("[", "]", "{", "}", ",", "'", '"', "\\", "|", ">", "|-", ">+2", "!!str ", "!x ", "<<: ", "=", "~"),
        *("2021-03-04", "2021-03-04T10:00:00Z", "10:00", "017", "0o7", "1e3", "yes", "x", "é", "\x85", "\u2028"),
        *("\ufeff", "\x9f", "\ufffe", "\\x32", "https://a.example/?q=1", "R&D"),
    ]
)


@FAST
@given(st.lists(PIECES, max_size=40).map("".join))
def test_fragments_read_as_pyyaml_reads_them(source):
    assert_reads_as_pyyaml(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("published: yes\n", True),  # 1.2 reads "yes"
        ("quality: 017\n", 15),  # 1.2 reads 17
        ("quality: 0o17\n", "0o17"),  # 1.2 reads 15
        ("heat: 1e3\n", "1e3"),  # 1.2 reads 1000.0
        ("heat: 1:20\n", 80),
        ("when: '2024-05-01'\n", "2024-05-01"),  # yaml-rs would make it a date
        ("when: >-\n  2024-05-01\n", "2024-05-01"),
        ('title: "\\x32024-05-01"\n', "2024-05-01"),
        ("title: !foo x\n", yaml.constructor.ConstructorError),  # yaml-rs ignores the tag
        ("a: 1\na: 2\n", 2),  # yaml-rs refuses duplicate keys, PyYAML keeps the last
        ("a: 1\n--- x\n", yaml.composer.ComposerError),  # yaml-rs returns two documents
        ("title: a\x85b\n", yaml.scanner.ScannerError),  # NEL is a line break in 1.1, not in 1.2
        ("title: a\u2028b\n", yaml.scanner.ScannerError),  # so is LS
        ("title: a\ufffeb\n", yaml.reader.ReaderError),  # a character PyYAML refuses
        ("quality: " + "9" * 5000 + "\n", ValueError),  # Python reads no more than 4,300 digits
        ("a: [1, 2]\n", [1, 2]),  # flow collections: 1.2 reads some that libyaml refuses
        ("a: |\n  x\n", "x\n"),  # block scalars: the two chomp differently at the end of a text
    ],
)
def test_texts_yaml_1_1_reads_its_own_way_are_left_to_pyyaml(source, expected):
    assert yamlsafe.load_common(source) is yamlsafe.DEFERRED
    if isinstance(expected, type):
        with pytest.raises(expected):
            yaml.load(source, Loader=yaml.CSafeLoader)
    else:
        assert list(yaml.load(source, Loader=yaml.CSafeLoader).values())[-1] == expected


def nested(levels: int) -> str:
    return "a:\n" + "".join("  " * level + "b:\n" for level in range(1, levels)) + "  " * levels + "c: 1\n"


def test_too_deep_is_reported_as_before():
    # The boundary: 13 levels (as _depth counts them, the scalar included) are one too many, 12 are fine.
    too_deep, deepest = nested(11), nested(10)
    assert yamlsafe._depth(yaml.safe_load(too_deep)) == yamlsafe.MAX_DEPTH + 1
    assert yamlsafe.load_common(too_deep) is yamlsafe.TOO_DEEP
    with pytest.raises(yamlsafe.FrontMatterError, match="nesting deeper than 12 levels"):
        yamlsafe.load_mapping(too_deep)
    assert yamlsafe._depth(yaml.safe_load(deepest)) == yamlsafe.MAX_DEPTH
    assert yamlsafe.load_mapping(deepest)[0] == assert_reads_as_pyyaml(deepest)


def test_real_and_generated_files_load_through_yaml_rs_as_through_pyyaml(corpus, tmp_path):
    # The point of the fast path: plain item files, real or generated, take it, with PyYAML's values.
    paths = sorted(corpus.rglob("*.md")) + generate_corpus(tmp_path, count=300)
    taken = 0
    for path in paths:
        source = yamlsafe.split_front_matter(yamlsafe.decode(path.read_bytes()))
        if ("&" in source or "*" in source) and yamlsafe._SUSPECT_TOKEN.search(source):
            continue  # the anchor check's path
        taken += assert_reads_as_pyyaml(source) is not yamlsafe.DEFERRED
    assert taken >= 0.9 * len(paths)
