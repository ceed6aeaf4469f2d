"""The terms that stand for each topic, read from the taxonomy: keywords, names, short names, qualifiers.

Two kinds of term, because a word can name a topic outright or only in context:

- a **keyword** names the topic by itself: the taxonomy's keywords ("sagemaker", "facial recognition"), the
  topic's full name ("Machine Learning", "AI Hardware"), an acronym short name ("NLP");
- a **qualifier** names it only when the parent topic is in view too. "AI in Sales" is sales *and* AI: the
  word "sales" (its name without the parent's, its short name, and a keyword that repeats them) says nothing
  about AI, nor does "Microsoft" in "Microsoft AI" or "Vision" in "Computer Vision".

Acronyms ("ML", "AWS", a keyword of three letters or fewer) match only when written in capitals.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from articles.topics.text import is_acronym, phrase_key, words

# Words that join a topic's own part to its parent's name ("AI in Healthcare", "Math for AI").
_CONNECTORS = frozenset({"in", "for", "of", "on", "and", "the", "&"})
ACRONYM_MAX_LETTERS = 3


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as the matcher needs it: plain data, picklable, no database."""

    id: int
    name: str
    shortname: str = ""
    parent_id: int | None = None
    keywords: tuple[str, ...] = ()


class Kind(StrEnum):
    KEYWORD = "keyword"
    QUALIFIER = "qualifier"


@dataclass(frozen=True, slots=True)
class Term:
    topic: int
    text: str  # as the taxonomy writes it: what an editor is shown as the matched term
    key: tuple[str, ...]
    kind: Kind
    capitals: bool  # an acronym: only its capitalised spelling counts


def qualifier(topic: TopicSpec, parent: TopicSpec | None) -> str:
    """The topic's name without its parent's ("AI in Healthcare" under "AI" -> "Healthcare"), or ""."""
    if parent is None:
        return ""
    name, parent_key = words(topic.name), phrase_key(parent.name)
    norms = [word.norm for word in name]
    for start in range(len(norms) - len(parent_key) + 1):
        if tuple(norms[start : start + len(parent_key)]) == parent_key:
            rest = name[:start] + name[start + len(parent_key) :]
            return " ".join(word.surface for word in rest if word.norm not in _CONNECTORS)
    return ""


def _acronym(text: str) -> bool:
    letters = text.strip()
    if " " in letters or not letters.isalnum():
        return False
    return len(letters) <= ACRONYM_MAX_LETTERS or (is_acronym(letters) and len(letters) > 1)


def topic_terms(topics: Iterable[TopicSpec]) -> list[Term]:
    topics = list(topics)
    by_id = {topic.id: topic for topic in topics}
    return [term for topic in topics for term in _terms_of(topic, by_id.get(topic.parent_id))]


def _terms_of(topic: TopicSpec, parent: TopicSpec | None) -> list[Term]:
    own = qualifier(topic, parent)
    qualifiers = {phrase_key(own)} if own else set()
    if topic.shortname and not _acronym(topic.shortname):
        qualifiers.add(phrase_key(topic.shortname))
    candidates = [(topic.name, Kind.KEYWORD), *((keyword, Kind.KEYWORD) for keyword in topic.keywords)]
    if topic.shortname:
        candidates.append((topic.shortname, Kind.KEYWORD))
    if own:
        candidates.append((own, Kind.QUALIFIER))
    chosen: dict[tuple[str, ...], Term] = {}
    for text, kind in candidates:
        key = phrase_key(text)
        if not key:
            continue
        if key in qualifiers:
            kind = Kind.QUALIFIER  # a keyword that only repeats the qualifier is as ambiguous as the qualifier
        if key not in chosen:
            chosen[key] = Term(topic.id, text.strip(), key, kind, _acronym(text))
    return list(chosen.values())
