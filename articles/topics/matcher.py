"""Assign taxonomy topics to an item from its title and excerpt. Pure Python: no database, picklable.

Every whole-word occurrence of a topic's term is evidence for it, worth more in the title (what the story is
about) than in the excerpt (what it mentions). A qualifier ("sales", "Microsoft") counts fully only when the
parent topic is in view, through a keyword of the parent or of any of its descendants ("AI", "machine
learning"); alone it is a weak clue. A term that proved unreliable on items whose topics people chose is
demoted by its learned factor (see `learning`). Evidence combines like independent signals,
1 - (1 - a)(1 - b); a topic is assigned at `THRESHOLD`, and its parent topics follow it.

With these figures, one keyword anywhere assigns its topic, a qualifier never does alone, and a term
demoted to half its assumed precision still counts in the title but no longer in the excerpt.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from articles.topics.terms import Kind, Term, TopicSpec, topic_terms
from articles.topics.text import WORD, is_acronym, normal

TITLE, EXCERPT = "title", "excerpt"
FIELD_WEIGHTS = {TITLE: 1.0, EXCERPT: 0.8}
QUALIFIER_ALONE = 0.4
THRESHOLD = 0.5

_normal = lru_cache(maxsize=1 << 16)(normal)


@dataclass(frozen=True, slots=True)
class Match:
    topic: int
    term: str


# topic -> term -> (the term, the best field it was seen in)
Evidence = dict[int, dict[str, tuple[Term, str]]]


class TopicMatcher:
    """Compiled once per import (and per parser process); `assign` is then a few dictionary lookups per word."""

    def __init__(self, topics: Iterable[TopicSpec], factors: Mapping[tuple[int, str], float] | None = None):
        self.topics = tuple(topics)
        self.factors = dict(factors or {})
        self._parents = {topic.id: topic.parent_id for topic in self.topics}
        self._order = {topic.id: position for position, topic in enumerate(self.topics)}
        self._single: dict[str, list[Term]] = {}
        self._phrases: dict[tuple[str, ...], list[Term]] = {}
        for term in topic_terms(self.topics):
            if len(term.key) == 1:
                self._single.setdefault(term.key[0], []).append(term)
            else:
                self._phrases.setdefault(term.key, []).append(term)
        self._phrase_starts = {key[0] for key in self._phrases}
        self._first_words = self._phrase_starts | self._single.keys()
        self._lengths = sorted({len(key) for key in self._phrases}, reverse=True)

    def __reduce__(self):
        # Sent to parser processes as the taxonomy, and compiled there.
        return (TopicMatcher, (self.topics, self.factors))

    def __bool__(self) -> bool:
        return bool(self._single or self._phrases)

    def ancestors(self, topic: int) -> list[int]:
        found, current = [], self._parents.get(topic)
        while current is not None and current not in found and current != topic:  # a cycle edited in ends here
            found.append(current)
            current = self._parents.get(current)
        return found

    def evidence(self, title: str, excerpt: str) -> Evidence:
        """Every term seen, per topic, with the best field it was seen in (the title outranks the excerpt)."""
        found: Evidence = {}
        self._scan(title, TITLE, found)
        self._scan(excerpt, EXCERPT, found)  # a term the title has already keeps the title's weight
        return found

    def _scan(self, text: str, field: str, found: Evidence) -> None:
        if not text:
            return
        surfaces = WORD.findall(text)
        norms = list(map(_normal, surfaces))
        count = len(norms)
        for i, norm in enumerate(norms):
            if norm not in self._first_words:  # most words of a story start no term: one set lookup each
                continue
            for term in self._single.get(norm, ()):
                if not term.capitals or is_acronym(surfaces[i]):
                    found.setdefault(term.topic, {}).setdefault(term.text, (term, field))
            if norm not in self._phrase_starts:
                continue
            for length in self._lengths:
                if i + length > count:
                    continue
                for term in self._phrases.get(tuple(norms[i : i + length]), ()):
                    found.setdefault(term.topic, {}).setdefault(term.text, (term, field))

    def scores(self, title: str, excerpt: str) -> dict[int, tuple[float, str]]:
        """Each topic with evidence: its score and its strongest term (on a tie, the one seen first)."""
        found = self.evidence(title, excerpt)
        in_view: set[int] = set()
        for topic, terms in found.items():
            if any(term.kind is Kind.KEYWORD for term, _ in terms.values()):
                in_view.add(topic)
                in_view.update(self.ancestors(topic))
        scores = {}
        for topic, terms in found.items():
            parent_in_view = self._parents.get(topic) in in_view
            missing, best, best_term = 1.0, -1.0, ""
            for text, (term, field) in terms.items():
                strength = FIELD_WEIGHTS[field] * self.factors.get((topic, text), 1.0)
                if term.kind is Kind.QUALIFIER and not parent_in_view:
                    strength *= QUALIFIER_ALONE
                missing *= 1.0 - strength
                if strength > best:
                    best, best_term = strength, text
            scores[topic] = (1.0 - missing, best_term)
        return scores

    def assign(self, title: str, excerpt: str = "") -> list[Match]:
        """The topics for an item, each with the term that decided it; parents follow their children."""
        chosen: dict[int, str] = {}
        for topic, (score, term) in self.scores(title, excerpt).items():
            if score >= THRESHOLD:
                chosen[topic] = term
        for topic, term in list(chosen.items()):
            for ancestor in self.ancestors(topic):
                chosen.setdefault(ancestor, term)
        return [Match(topic, chosen[topic]) for topic in sorted(chosen, key=self._order.__getitem__)]
