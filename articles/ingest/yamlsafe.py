"""Safe loading of YAML front matter: bounded, alias-free, tag-free, strict UTF-8."""

import re

import yaml
import yaml_rs
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1024 * 1024  # real items are ~1-20 KB; a megabyte is a broken or hostile file
MAX_DEPTH = 12  # the item format nests 5 levels (related -> provider -> images -> entry)

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_SCALARS = {
    _TAG + name: yaml.SafeLoader.yaml_constructors[_TAG + name]
    for name in ("int", "float", "bool", "null", "timestamp")
}


# Tags of short plain scalars, memoised per process: see FastLoader.resolve.
_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_RESOLVED_LENGTH, _RESOLVED_SIZE = 40, 20_000


class _Unusual(Exception):
    """A node outside the plain subset (other tags, merge keys, odd keys): construct it the standard way."""


class FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader with a leaner construction step for the plain subset that item files use.

    Scanning, parsing and composing stay in C. PyYAML then builds values through a generic state machine
    of generators, which costs more than libyaml itself; for documents made only of mappings, sequences
    and the safe scalar types this builds the same values directly (with the same scalar constructors).
    Anything else falls back to the standard construction of the whole document, errors included.
    """

    def resolve(self, kind, value, implicit):
        # PyYAML finds each scalar's implicit tag by regular expressions, in Python, ~180 times a file. A safe
        # loader's answer depends on the value alone, and item files repeat their keys and short values, so those
        # are resolved once per process: 2-10% of the parse step in alternating in-process runs.
        if kind is not ScalarNode or len(value) > _RESOLVED_LENGTH:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) >= _RESOLVED_SIZE:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return tag

    def get_single_data(self):
        node = self.get_single_node()
        return None if node is None else self.build(node)

    def build(self, node):
        try:
            return self._build(node)
        except _Unusual:
            return self.construct_document(node)

    def _build(self, node):
        kind, tag = type(node), node.tag
        if kind is ScalarNode:
            if tag == _STR:
                return node.value
            build = _SCALARS.get(tag)
            if build is None:
                raise _Unusual
            return build(self, node)
        if kind is MappingNode and tag == _MAP:
            mapping = {}
            for key_node, value_node in node.value:
                key = self._build(key_node)
                if not isinstance(key, str | int | float | bool | None):  # e.g. date keys: leave those to PyYAML
                    raise _Unusual
                mapping[key] = self._build(value_node)
            return mapping
        if kind is SequenceNode and tag == _SEQ:
            return [self._build(item) for item in node.value]
        raise _Unusual


# A cheap pre-check: anchors and aliases can only start where a YAML token starts. Text trips it too
# ("R&D & more", quoted or not): such files get the exact check of _load_refusing_anchors.
_SUSPECT_TOKEN = re.compile(r"(?:^|[\s\[\]{},:-])[&*]", re.MULTILINE)
_OPENING_LINE = re.compile(r"---[ \t]*\n")
_REST_OF_CLOSING_LINE = re.compile(r"[ \t]*(?:\n|\Z)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FrontMatterError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and anchors: no billion-laughs, no shared mutable nodes."""

    first_line = 1  # line of the file on which the YAML text starts, for messages

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise FrontMatterError("yaml", f"aliases are not allowed (line {event.start_mark.line + self.first_line})")
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise FrontMatterError("yaml", f"anchors are not allowed (line {event.start_mark.line + self.first_line})")
        return super().compose_node(parent, index)


def decode(data: bytes) -> str:
    """Strict UTF-8; a BOM and CRLF line endings are accepted."""
    if len(data) > MAX_FILE_BYTES:
        raise FrontMatterError("file", f"too large ({len(data)} bytes, limit {MAX_FILE_BYTES})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FrontMatterError(
            "file", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> str:
    """The YAML between an opening '---' line and the next '---' (or '...') line."""
    opening = _OPENING_LINE.match(text)
    if opening is not None:
        start = position = opening.end() - 1  # from the opening line's '\n': the closing line may follow at once
        while True:
            # str.find is several times faster than a multi-line regex over the whole file.
            found = [i for i in (text.find("\n---", position), text.find("\n...", position)) if i != -1]
            if not found:
                break
            position = min(found)
            if _REST_OF_CLOSING_LINE.match(text, position + 4):
                return text[start + 1 : position + 1]
            position += 1
    raise FrontMatterError("front matter", "must start with a '---' line and end with another '---' line")


def load_mapping(source: str, first_line: int = 1) -> tuple[dict, int]:
    """Load one YAML document that must be a mapping, with every safety bound applied.

    Returns the mapping and how many raw control characters were stripped first
    (YAML refuses them, and they carry no meaning in a news item).
    """
    source, stripped = _CONTROL.subn("", source)
    try:
        # The plain `in` tests are a fast path: the pattern can only match at an '&' or a '*'.
        if ("&" in source or "*" in source) and _SUSPECT_TOKEN.search(source):
            value = _load_refusing_anchors(source, first_line)
        else:
            value = load_common(source)
            if value is DEFERRED:
                value = yaml.load(source, Loader=FastLoader)  # noqa: S506 - a safe loader
            elif value is TOO_DEEP:
                raise FrontMatterError("yaml", f"nesting deeper than {MAX_DEPTH} levels")
            else:
                return value, stripped
    except FrontMatterError:
        raise
    except yaml.constructor.ConstructorError as exc:
        raise FrontMatterError("yaml", f"tag not allowed: {exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + first_line})" if exc.problem_mark else ""
        raise FrontMatterError("yaml", f"invalid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError("yaml", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise FrontMatterError("yaml", "nesting too deep") from None
    except (ValueError, OverflowError) as exc:
        # Scalars that look like dates or numbers but cannot be built (2021-02-30, 5,000 digits).
        raise FrontMatterError("yaml", f"invalid value: {exc}") from None
    if not isinstance(value, dict):
        raise FrontMatterError("front matter", f"must be a mapping, not {type(value).__name__}")
    if _depth(value) > MAX_DEPTH:
        raise FrontMatterError("yaml", f"nesting deeper than {MAX_DEPTH} levels")
    return value, stripped


def _load_refusing_anchors(source: str, first_line: int):
    """Load text that may hold anchors or aliases, refusing them, at nearly the speed of FastLoader.

    libyaml composes the node graph (an alias becomes a second reference to its anchor's node: nothing is
    expanded), and every node is checked where it starts: a node with an anchor starts at its '&', one with a
    tag at its '!'. Only then, or when libyaml refuses the text, does the pure-Python StrictLoader run, to
    refuse or load it with its precise messages: real anchors are rare, '&' in text is not.
    """
    if "\ufeff" in source:
        # libyaml does not count a byte-order mark in its marks: they would miss the '&' they must point at.
        return _strict_load(source, first_line)
    loader = FastLoader(source)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            pass  # libyaml refuses the text: the strict loader words the refusal, as it always did
        else:
            if node is None:
                return None
            if not _has_properties(node, source):
                return loader.build(node)
    finally:
        loader.dispose()
    return _strict_load(source, first_line)


def _strict_load(source: str, first_line: int):
    strict = type("StrictLoaderAt", (StrictLoader,), {"first_line": first_line})
    return yaml.load(source, Loader=strict)  # noqa: S506 - a safe loader


_PROPERTY_STARTS = ("&", "!")


def _has_properties(root, source: str) -> bool:
    """Whether any node of the graph carries an anchor or a tag (marks index the text in characters)."""
    # No "seen" set is needed: a node reached twice is an alias's target, which is anchored and ends the walk.
    stack = [root]
    while stack:
        node = stack.pop()
        if source.startswith(_PROPERTY_STARTS, node.start_mark.index):  # an empty last value starts at the end
            return True
        kind = type(node)
        if kind is MappingNode:
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif kind is SequenceNode:
            stack.extend(node.value)
    return False


# yaml-rs reads YAML 1.2, PyYAML 1.1: the same values for the documents item files are, not for every text. It is
# given only block documents of plain and quoted scalars; any text that has one of these goes to PyYAML whole:
# where a token starts, a tag, anchor, alias, complex key, directive, flow collection, block scalar or a scalar
# starting with ':' (1.2 reads some that libyaml refuses); a tab, a merge key, a second document; YAML 1.1's extra
# line breaks and the characters PyYAML refuses; numbers with a leading zero (octal in 1.1, decimal in 1.2); and
# quoted scalars that could hold a date, digits written as escapes included (a plain date is a date in both, a
# quoted one is text for PyYAML, and yaml-rs cannot tell them apart once it returns strings). Each pattern starts
# with a literal character, which re finds several times faster than a character class (3-5 us a file against
# 20-35), and is searched only when a plain `in` test finds that character. Hypothesis holds the two to the same
# values (tests/ingest/test_yaml_common.py).
_MID_WORD = r"[^\s\[\]{},]"  # a character after which no token can start: the next one is inside a word
_DIVERGENT = {
    char: re.compile(pattern, re.MULTILINE)
    for char, pattern in {
        "!": rf"!(?<!{_MID_WORD}!)",
        "&": rf"&(?<!{_MID_WORD}&)",
        "*": rf"\*(?<!{_MID_WORD}\*)",
        "?": rf"\?(?<!{_MID_WORD}\?)",
        "%": rf"%(?<!{_MID_WORD}%)",
        "[": rf"\[(?<!{_MID_WORD}\[)",
        "{": rf"\{{(?<!{_MID_WORD}\{{)",
        ":": rf":(?<!{_MID_WORD}:)",
        "0": rf"0[0-9oO_](?<!{_MID_WORD}0.)",
        "-": rf"-0[0-9oO_](?<!{_MID_WORD}-0.)",
        "+": rf"\+0[0-9oO_](?<!{_MID_WORD}\+0.)",
        '"': r'"[\s\\]*[0-9]{4}-',
        "'": r"'[\s\\]*[0-9]{4}-",
        "|": rf"\|(?<!{_MID_WORD}\|)",
        ">": rf">(?<!{_MID_WORD}>)",
        "\t": r"\t",
        "\\": r"\\(?:x|u00|U000000)3[0-9]",
        "<": r"<<",
        "...": r"^\.\.\.(?:[ \t]|$)",
    }.items()
}
_SECOND_DOCUMENT = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
# Not ASCII: LS and PS (line breaks in 1.1), a byte-order mark inside the text, U+FFFE/FFFF and lone surrogates
# (refused by PyYAML), and C1 controls (NEL among them, a line break in 1.1), found in the UTF-8 bytes, where each
# starts with the byte C2: a character class over the text costs 30-35 us a file, the encoding and search 3-4.
_ODD_CHARACTERS = ("\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff")
_C1_CONTROL = re.compile(b"\xc2[\x80-\x9f]")
_IMPLICIT = yaml.SafeLoader.yaml_implicit_resolvers  # first character -> [(tag, regexp)]: YAML 1.1's plain scalars
_TIMESTAMP = _TAG + "timestamp"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# Python refuses to read integers of more than 4,300 digits (sys.get_int_max_str_digits), yaml-rs does not:
# PyYAML's error stands for them (14,000 bits is a little under 4,300 digits).
_LONGEST_INT_BITS = 14_000
_KEY_TYPES = frozenset({int, bool, type(None)})  # and str, checked first
DEFERRED, TOO_DEEP = object(), object()


class _Defer(Exception):
    pass


class _TooDeep(Exception):
    pass


def _divergent(source: str) -> bool:
    for char, pattern in _DIVERGENT.items():
        if char in source and pattern.search(source):
            return True
    if "---" in source and _SECOND_DOCUMENT.search(source):
        return True
    if source.isascii():
        return False
    if any(char in source for char in _ODD_CHARACTERS):
        return True
    try:
        data = source.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return b"\xc2" in data and _C1_CONTROL.search(data) is not None


def load_common(source: str):
    """The mapping of a plain document loaded by yaml-rs, else DEFERRED (for PyYAML) or TOO_DEEP.

    yaml-rs (Rust) loads an item's front matter in about a sixth of the time of libyaml with PyYAML's construction
    (FastLoader), the checks above and below included. It returns every scalar that is not a YAML 1.2 integer,
    boolean or null as a string; each string is then resolved as PyYAML would resolve it plain: a date becomes a
    date (quoted dates were sent away), and a value PyYAML would type otherwise (yes, 1:20, 1e3, =) sends the
    document to PyYAML. So do anything yaml-rs refuses (PyYAML words the message, with its line numbers), a date
    PyYAML cannot build (the same), and any float (1.2 reads more texts as floats).
    """
    if _divergent(source):
        return DEFERRED
    try:
        value = yaml_rs.loads(source, parse_datetime=False)
    except Exception:  # whatever yaml-rs refuses, PyYAML refuses or reads in its own way
        return DEFERRED
    if type(value) is not dict:
        return DEFERRED
    try:
        _as_pyyaml(value, 1)
    except (_Defer, ValueError, OverflowError):  # a date PyYAML cannot build either: it words the error
        return DEFERRED
    except _TooDeep:
        return TOO_DEEP
    return value


def _plain(value: str):
    """A string as PyYAML builds the same text as a plain scalar: itself, a date, or _Defer."""
    for tag, regexp in _IMPLICIT.get(value[0], ()):
        if regexp.match(value):
            if tag != _TIMESTAMP:
                raise _Defer
            return _SCALARS[tag](_CONSTRUCTOR, ScalarNode(tag, value))
    return value


def _as_pyyaml(container, level: int) -> None:
    """Turn yaml-rs's values into PyYAML's, in place; `level` counts as _depth does (the mapping is 1)."""
    if level >= MAX_DEPTH and container:
        raise _TooDeep
    if type(container) is dict:
        for key in container:
            kind = type(key)
            if kind is str:
                if key and key[0] in _IMPLICIT and _plain(key) is not key:
                    raise _Defer  # a date key
            elif kind not in _KEY_TYPES:  # no integer key is long enough to matter: a plain key has <= 1,024 characters
                raise _Defer
        entries = container.items()
    else:
        entries = enumerate(container)
    for at, value in entries:
        kind = type(value)
        if kind is str:
            if value and value[0] in _IMPLICIT:
                container[at] = _plain(value)  # replaces an entry: the mapping's size does not change
        elif kind is dict or kind is list:
            _as_pyyaml(value, level + 1)
        elif kind is float or (kind is int and value.bit_length() > _LONGEST_INT_BITS):
            raise _Defer


def _depth(value, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def load_front_matter(data: bytes) -> tuple[dict, int]:
    # The front matter starts on line 2, after the opening '---'.
    return load_mapping(split_front_matter(decode(data)), first_line=2)
