"""Learn from items whose topics people chose which terms mislead: their precision there demotes them.

For each (topic, term), count the labelled items where the term was seen and how many of them carry the
topic. A term seen on many items without its topic (Rekognition is an AWS product, mostly in stories that
are not about computer vision) gets a factor below 1, which `TopicMatcher` multiplies into its evidence.

Three guards keep this honest on small or sparse data:
- only items labelled beyond the root topic count: a feed that files everything under "AI" says nothing
  about which of its stories are about robots;
- only topics the labellers use (on `MIN_TOPIC_USES` items or more) are judged: a topic nobody ever picks
  may be missing from their vocabulary rather than wrong;
- the precision is smoothed towards `PRIOR` by `PRIOR_WEIGHT` imaginary item(s): one sighting without the
  topic halves a term's precision rather than zeroing it. Terms are only ever demoted, never promoted.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from articles.topics.matcher import TopicMatcher

PRIOR = 0.8  # what a curated keyword's precision is assumed to be before any evidence
PRIOR_WEIGHT = 1.0
MIN_TOPIC_USES = 3


@dataclass(frozen=True, slots=True)
class LabelledItem:
    title: str
    excerpt: str
    topics: frozenset[int]


def term_factors(matcher: TopicMatcher, items: Iterable[LabelledItem]) -> dict[tuple[int, str], float]:
    """(topic, term) -> a factor below 1 for the terms that proved unreliable on `items`."""
    return factors_from_counts(*term_counts(matcher, items))


def term_counts(matcher: TopicMatcher, items: Iterable[LabelledItem]) -> tuple[Counter, Counter, Counter]:
    """How often each topic was chosen, each (topic, term) was seen, and seen on an item carrying the topic."""
    uses, seen, hits = Counter(), Counter(), Counter()
    for item in items:
        labels = labels_with_ancestors(matcher, item.topics)
        if not any(matcher.ancestors(topic) for topic in labels):
            continue
        uses.update(labels)
        for topic, terms in matcher.evidence(item.title, item.excerpt).items():
            for text in terms:
                seen[topic, text] += 1
                hits[topic, text] += topic in labels
    return uses, seen, hits


def factors_from_counts(uses: Counter, seen: Counter, hits: Counter) -> dict[tuple[int, str], float]:
    factors = {}
    for (topic, text), count in seen.items():
        if uses[topic] < MIN_TOPIC_USES:
            continue
        precision = (hits[topic, text] + PRIOR * PRIOR_WEIGHT) / (count + PRIOR_WEIGHT)
        if precision < PRIOR:
            factors[topic, text] = precision / PRIOR
    return factors


def labels_with_ancestors(matcher: TopicMatcher, topics: Iterable[int]) -> set[int]:
    """An item filed under "TensorFlow" is about "Google AI" too."""
    labels = set(topics)
    for topic in list(labels):
        labels.update(matcher.ancestors(topic))
    return labels
