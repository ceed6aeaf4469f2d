"""Measure topic assignment against the topics people gave items: precision, recall, F1, per-topic counts.

Scored over (item, topic) pairs, the root topics left out (every item of a single-subject feed carries its
root, so counting it would flatter any method). Learning is judged by leave-one-out: each item is assigned
by a matcher that learned from all the other items, never from itself.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from articles.topics.learning import LabelledItem, factors_from_counts, term_counts
from articles.topics.matcher import TopicMatcher
from articles.topics.terms import TopicSpec

Predictor = Callable[[int, LabelledItem], set[int]]


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Evaluation:
    overall: Counts = field(default_factory=Counts)
    per_topic: dict[int, Counts] = field(default_factory=dict)
    # (item index, topics assigned wrongly, topics missed)
    mistakes: list[tuple[int, set[int], set[int]]] = field(default_factory=list)


def evaluate(predict: Predictor, items: Sequence[LabelledItem], *, roots: set[int]) -> Evaluation:
    result = Evaluation()
    for index, item in enumerate(items):
        expected, got = set(item.topics) - roots, predict(index, item) - roots
        wrong, missed = got - expected, expected - got
        outcomes = [(t, "tp") for t in got & expected] + [(t, "fp") for t in wrong] + [(t, "fn") for t in missed]
        for topic, outcome in outcomes:
            for counts in (result.overall, result.per_topic.setdefault(topic, Counts())):
                setattr(counts, outcome, getattr(counts, outcome) + 1)
        if wrong or missed:
            result.mistakes.append((index, wrong, missed))
    return result


def matcher_predictor(matcher: TopicMatcher) -> Predictor:
    return lambda index, item: {match.topic for match in matcher.assign(item.title, item.excerpt)}


def leave_one_out_predictor(topics: Sequence[TopicSpec], items: Sequence[LabelledItem]) -> Predictor:
    """Item i is assigned by a matcher that learned from every item but i."""
    base = TopicMatcher(topics)
    # Counting each item once and subtracting it is the same as recounting the other items, only faster.
    uses, seen, hits = term_counts(base, items)
    per_item = [term_counts(base, [item]) for item in items]

    def predict(index: int, item: LabelledItem) -> set[int]:
        own_uses, own_seen, own_hits = per_item[index]
        factors = factors_from_counts(uses - own_uses, seen - own_seen, hits - own_hits)
        return matcher_predictor(TopicMatcher(topics, factors))(index, item)

    return predict


def plain_keyword_predictor(topics: Sequence[TopicSpec]) -> Predictor:
    """The yardstick: a topic whenever one of its keywords occurs as whole words, in any case; parents follow."""
    patterns = {
        topic.id: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in topic.keywords) + r")\b", re.IGNORECASE)
        for topic in topics
        if topic.keywords
    }
    parents = {topic.id: topic.parent_id for topic in topics}

    def predict(index: int, item: LabelledItem) -> set[int]:
        text = f"{item.title}\n{item.excerpt}"
        found = {topic for topic, pattern in patterns.items() if pattern.search(text)}
        for topic in list(found):
            parent = parents.get(topic)
            while parent is not None and parent not in found:
                found.add(parent)
                parent = parents.get(parent)
        return found

    return predict
