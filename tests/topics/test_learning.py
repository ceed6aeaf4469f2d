"""Learning from labelled items (articles.topics.learning) and its honest measurement (articles.topics.evaluation)."""

from articles.topics import evaluation as ev
from articles.topics.learning import MIN_TOPIC_USES, LabelledItem, term_factors
from articles.topics.matcher import TopicMatcher
from tests.topics.taxonomy import AI, AWS, GOOGLE, ML, ROBOTICS, SALES, TENSORFLOW, TOPICS
from tests.topics.taxonomy import VISION as CV

MATCHER = TopicMatcher(TOPICS)


def item(title: str, *topics: int, excerpt: str = "") -> LabelledItem:
    return LabelledItem(title, excerpt, frozenset({AI, *topics}))


VISION_STORIES = [item(f"Computer vision story {n}", CV) for n in range(MIN_TOPIC_USES)]
AWS_STORIES = [item(f"AWS story {n}", AWS, excerpt="It uses Amazon Rekognition.") for n in range(2)]


def test_a_term_seen_mostly_without_its_topic_is_demoted_and_stops_assigning_it():
    factors = term_factors(MATCHER, VISION_STORIES + AWS_STORIES)
    # Seen twice, never with its topic: (0 + 0.8 x 1) / (2 + 1) = 0.27 against an assumed 0.8.
    assert factors == {(CV, "rekognition"): (0.8 / 3) / 0.8}
    learned = TopicMatcher(TOPICS, factors)
    story = ("hayu picks AWS", "It uses Amazon Rekognition for celebrity search.")
    assert CV in {m.topic for m in MATCHER.assign(*story)}
    assert CV not in {m.topic for m in learned.assign(*story)}
    assert AWS in {m.topic for m in learned.assign(*story)}  # "amazon rekognition" for AWS AI is untouched


def test_items_labelled_only_with_the_root_teach_nothing():
    # A feed that files everything under "AI" says nothing about which of its stories are about vision.
    root_only = [LabelledItem("Rekognition everywhere", "", frozenset({AI})) for _ in range(5)]
    assert term_factors(MATCHER, VISION_STORIES + root_only) == {}


def test_topics_the_labellers_hardly_use_are_not_judged():
    assert term_factors(MATCHER, VISION_STORIES[: MIN_TOPIC_USES - 1] + AWS_STORIES) == {}


def test_good_terms_are_never_promoted_and_parents_count_as_labelled():
    items = [item(f"TensorFlow release {n}", TENSORFLOW) for n in range(4)] + [
        item("Robots and more robots", ROBOTICS) for _ in range(3)
    ]
    # Google AI's "tensorflow" fires on items filed under TensorFlow only: the child implies the parent.
    assert term_factors(MATCHER, items) == {}


def test_leave_one_out_never_learns_from_the_item_it_scores():
    items = [*VISION_STORIES, *AWS_STORIES, item("Rekognition, again", AWS), item("Deep learning", ML)]
    predict = ev.leave_one_out_predictor(TOPICS, items)
    for index, labelled in enumerate(items):
        others = items[:index] + items[index + 1 :]
        retrained = TopicMatcher(TOPICS, term_factors(MATCHER, others))
        assert predict(index, labelled) == ev.matcher_predictor(retrained)(index, labelled)


def test_evaluation_counts_pairs_without_the_root():
    items = [item("Computer vision and deep learning", CV), item("Robots", ROBOTICS, GOOGLE)]
    result = ev.evaluate(ev.matcher_predictor(MATCHER), items, roots={AI})
    # Item 1: CV right, ML extra. Item 2: Robotics right, Google AI missed.
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (2, 1, 1)
    assert (result.overall.precision, result.overall.recall) == (2 / 3, 2 / 3)
    assert result.per_topic[ML].fp == 1 and result.per_topic[GOOGLE].fn == 1 and AI not in result.per_topic
    assert result.mistakes == [(0, {ML}, set()), (1, set(), {GOOGLE})]


def test_the_plain_keyword_yardstick_matches_keywords_in_any_case():
    predict = ev.plain_keyword_predictor(TOPICS)
    assert predict(0, item("SALES of TensorFlow")) == {SALES, TENSORFLOW, GOOGLE, AI}


def test_leave_one_out_does_not_flatter_where_learning_on_everything_would():
    lone = item("AWS news", AWS, excerpt="Rekognition inside.")
    items = [*VISION_STORIES, lone]
    learned_on_all = TopicMatcher(TOPICS, term_factors(MATCHER, items))
    assert CV not in ev.matcher_predictor(learned_on_all)(3, lone)  # it learned from its own label
    assert CV in ev.leave_one_out_predictor(TOPICS, items)(3, lone)  # nothing else taught it
