"""Same event or not: the text evidence that two items report one event. Pure: no database, no Django.

Each item is reduced to *units* (its own title and excerpt, and each related entry's), each unit to sets
of term ids: the words of its title, and the words of its title and excerpt together. Two units report the
same event when the title of one is mostly found in the other (`coverage`, weighted by rarity) and the
words they share are rare enough to be more than boilerplate (`evidence`): a headline phrase pool, a
company name or "market … growth … forecast" is shared by thousands of unrelated items, so its words are
common and weigh little. Rarity comes from document frequencies the caller keeps (`Rarity`).

Tuned on ../shared/corpus and synthetic batches (see tests/stories/test_similarity.py): precision first.
"""

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import NamedTuple
from zlib import crc32

COVERAGE = 0.5  # weighted share of one title found in the other unit
EVIDENCE = 4.0  # sum of the shared words' rarities (each 0..1): about four rare words, or many fairly rare ones
WINDOW_HOURS = 72  # coverage of one event is published within about three days
PRIOR = 20  # documents assumed unseen, so that a tiny database does not call every word rare
# Title words in at most this many articles (or share of them) are stored and looked up as candidate keys: rarer
# words than any evidence needs, and few enough rows per article that the key table stays cheap to write.
KEY_MIN_DF, KEY_MAX_SHARE = 20, 0.002

_WORD = re.compile(r"[a-z0-9]+")
_STOP_TEXT = """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further get gets had has have
    having he her here heres hers him his how i if in into is it its just like may me more most my new no nor not
    now of off on once one only or other our out over own same say said says she should so some such than that
    the their them then there these they this those through to too two under until up very via was we were what
    when where which while who whom why will with would you your"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-cased ASCII-folded words without stop words, plurals folded ("faces" -> "face")."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [_singular(w) for w in _WORD.findall(text.replace("'s ", " ")) if len(w) > 1 and w not in STOP_WORDS]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def term_id(word: str) -> int:
    """A stable id, the same in every process (unlike hash()). 32 bits: a rare collision only makes two words
    share a frequency, and CRC-32 is about ten times cheaper than a cryptographic hash per word."""
    return crc32(word.encode())


_TERMS: dict[bytes, int | None] = {}  # raw word -> term id (None: a stop word); news vocabulary repeats a lot
# Every ASCII byte but [a-z0-9] becomes a space, so that split() finds what _WORD.findall finds, in half the time.
_NON_WORD = bytes(byte if chr(byte) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for byte in range(256))
_NO_TERM = frozenset((None,))


def term_ids(text: str) -> frozenset[int]:
    """The term ids of words(text), memoised per raw word: this runs for every headline of every import, and a
    lookup in C (`map`) costs a fraction of a loop in Python. Bytes rather than text: translate and split are
    about twice as fast as _WORD.findall (tests/stories/test_similarity.py holds the two to the same words)."""
    text = text.lower()
    data = text.encode() if text.isascii() else unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    # No "'s " removal as in words(): the lone "s" it would remove is dropped anyway, being one letter long.
    raw = data.translate(_NON_WORD).split()
    cache = _TERMS
    try:
        ids = frozenset(map(cache.__getitem__, raw))
    except KeyError:
        if len(cache) > 500_000:
            cache.clear()
        for word in raw:
            if word not in cache:
                text = word.decode()
                cache[word] = None if len(text) < 2 or text in STOP_WORDS else term_id(_singular(text))
        ids = frozenset(map(cache.__getitem__, raw))
    return ids - _NO_TERM if None in ids else ids


class Unit(NamedTuple):
    """One headline with its excerpt, as term ids. A named tuple: the parser's workers send one per headline to
    the loader, and a tuple unpickles several times faster than a dataclass."""

    title: frozenset[int]
    text: frozenset[int]  # title and excerpt

    @classmethod
    def of(cls, title: str, excerpt: str = "") -> "Unit":
        title_ids = term_ids(title)
        return cls(title_ids, title_ids | term_ids(excerpt) if excerpt else title_ids)


def item_units(record) -> tuple[Unit, ...]:
    """An item record's units: its own headline first, then each related entry's, in upstream order."""
    return (Unit.of(record.title, record.excerpt), *(Unit.of(rel.title, rel.excerpt) for rel in record.related))


class Rarity:
    """How rare a term is, from document frequencies: 0 (in every article) .. 1 (never seen)."""

    def __init__(self, documents: int, frequencies: dict[int, int]):
        self.documents = documents
        self.frequencies = frequencies
        self._scale = math.log(documents + PRIOR)

    def __call__(self, term: int) -> float:
        return math.log((self.documents + PRIOR) / (self.frequencies.get(term, 0) + 1)) / self._scale

    def key_terms(self, terms: Iterable[int]) -> set[int]:
        """Those rare enough to look candidates up by: common words would return half the archive."""
        limit = max(KEY_MIN_DF, KEY_MAX_SHARE * self.documents)
        frequencies = self.frequencies
        return {term for term in terms if frequencies.get(term, 0) <= limit}


def evidence(a: Unit, b: Unit, rarity: Callable[[int], float]) -> tuple[float, float]:
    """(coverage, evidence) of two units: see the module docstring."""
    coverage, shared = 0.0, set()
    for one, other in ((a, b), (b, a)):
        found = one.title & other.text
        shared |= found
        total = sum(map(rarity, one.title))
        if total:
            coverage = max(coverage, sum(map(rarity, found)) / total)
    return coverage, sum(map(rarity, shared))


def same_event(a: Unit, b: Unit, rarity: Callable[[int], float]) -> bool:
    coverage, weight = evidence(a, b, rarity)
    return coverage >= COVERAGE and weight >= EVIDENCE
