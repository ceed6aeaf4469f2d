"""The topic matcher (articles.topics.matcher), pure: constructed headlines against a small taxonomy."""

import pickle

import pytest

from articles.topics.matcher import Match, TopicMatcher
from articles.topics.terms import Kind, TopicSpec, qualifier, topic_terms
from articles.topics.text import normal
from tests.topics.taxonomy import AI, AWS, GOOGLE, HEALTH, MICROSOFT, ML, ROBOTICS, SALES, SECURITY, TENSORFLOW, TOPICS
from tests.topics.taxonomy import VISION as CV

MATCHER = TopicMatcher(TOPICS)


def topics(title: str, excerpt: str = "", matcher: TopicMatcher = MATCHER) -> set[int]:
    return {match.topic for match in matcher.assign(title, excerpt)}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Deep Learning beats radiologists", {ML, AI}),
        ("DEEP LEARNING BEATS RADIOLOGISTS", {ML, AI}),
        ("A deep-learning model for weather", {ML, AI}),  # a hyphen separates words
        ("Deeplearning.example launches", set()),  # not the phrase
        ("Deep thoughts on learning", set()),  # the words, not the phrase
        ("She said the retail figures were fine", set()),  # "ai" inside "said" is no word
        ("Render HTML faster", set()),  # nor "ml" inside "html"
    ],
)
def test_whole_words_and_phrases_in_any_case(title, expected):
    assert topics(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ML tooling gets cheaper", {ML, AI}),
        ("Add 30 ml of milk and stir", set()),  # a millilitre, not the field
        ("AI writes the weather report", {AI}),
        ("Ai Weiwei opens a show in Berlin", set()),  # a name, not the acronym
        ("CRM vendors bet on assistants", {SALES, AI}),
        ("The crm of the wave", set()),
    ],
)
def test_acronyms_match_only_in_capitals(title, expected):
    assert topics(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Robots’ workflows, managed", {ROBOTICS, AI}),  # curly possessive plural
        ("The robot's new hand", {ROBOTICS, AI}),
        ("Neural networks explained", {ML, AI}),  # plural phrase, singular keyword
        ("Why AI needs a robotic touch", {ROBOTICS, AI}),  # "robotics" and "robotic": singular and plural
        ("Analysis of the glass industry", set()),  # "-is" and "-ss" are not plurals to strip
    ],
)
def test_plural_and_singular_match(title, expected):
    assert topics(title) == expected


@pytest.mark.parametrize(
    ("title", "excerpt", "expected"),
    [
        # A generic word names its "AI in ..." topic only with AI in view.
        ("Retail sales rise 3% in March", "", set()),
        ("Social Security payments to rise", "", set()),
        ("Sales teams warm to AI assistants", "", {SALES, AI}),
        ("Quarterly results", "Sales grew as customers adopted its machine learning tools.", {SALES, ML, AI}),
        # A company name is a qualifier of "<Company> AI": the company alone is not its AI.
        ("Microsoft earnings beat estimates", "", set()),
        ("Microsoft bets big on machine learning", "", {MICROSOFT, ML, AI}),
        ("Azure outage hits Europe", "", {MICROSOFT, AI}),  # a product keyword needs no context
        # A short name is a qualifier too ("Vision" alone is no computer vision).
        ("A vision for the city", "", set()),
        ("Artificial intelligence gets a new vision", "", {CV, AI}),
    ],
)
def test_ambiguous_words_need_the_parent_topic_in_view(title, excerpt, expected):
    assert topics(title, excerpt) == expected


def test_parents_follow_their_children_with_the_childs_term():
    assert MATCHER.assign("TensorFlow 3 is out") == [
        Match(AI, "tensorflow"),
        Match(GOOGLE, "tensorflow"),
        Match(TENSORFLOW, "TensorFlow"),
    ]
    assert MATCHER.assign("Neural networks, plainly") == [Match(AI, "neural network"), Match(ML, "neural network")]


def test_the_title_outweighs_the_excerpt():
    # Rekognition demoted to 60% of its assumed precision: enough in the headline, not in a passing mention.
    demoted = TopicMatcher(TOPICS, {(CV, "rekognition"): 0.6})
    assert CV in topics("Rekognition spots celebrities", matcher=demoted)
    assert CV not in topics("hayu picks a cloud", "It uses Rekognition and Kinesis.", matcher=demoted)
    assert CV in topics("hayu picks a cloud", "It uses Rekognition and Kinesis.")  # undemoted: one keyword suffices
    # A second clue in the excerpt adds up.
    assert CV in topics("hayu picks a cloud", "Rekognition and facial recognition", matcher=demoted)


def test_each_topic_reports_its_strongest_term():
    matches = MATCHER.assign("Therapy bots", "A study of healthcare chatbots and artificial intelligence.")
    assert Match(HEALTH, "therapy") in matches  # the title's keyword, not the excerpt's qualifier
    assert Match(AI, "artificial intelligence") in matches


def test_terms_come_from_names_keywords_short_names_and_qualifiers():
    kinds = {(term.topic, term.text): term.kind for term in topic_terms(TOPICS)}
    assert kinds[ML, "Machine Learning"] is Kind.KEYWORD
    assert kinds[ML, "ml"] is Kind.KEYWORD  # an acronym short name is no generic word
    assert kinds[CV, "Vision"] is Kind.QUALIFIER
    assert kinds[SALES, "sales"] is Kind.QUALIFIER  # the keyword only repeats "AI in Sales" without "AI"
    assert kinds[SALES, "crm"] is Kind.KEYWORD
    assert kinds[SECURITY, "security"] is Kind.QUALIFIER
    assert kinds[MICROSOFT, "microsoft"] is Kind.QUALIFIER
    assert kinds[AWS, "aws"] is Kind.QUALIFIER
    assert kinds[TENSORFLOW, "TensorFlow"] is Kind.KEYWORD
    by_id = {topic.id: topic for topic in TOPICS}
    assert qualifier(by_id[HEALTH], by_id[AI]) == "Healthcare"
    assert qualifier(TopicSpec(99, "Math for AI"), by_id[AI]) == "Math"
    assert qualifier(by_id[TENSORFLOW], by_id[GOOGLE]) == ""


def test_normal_form_is_lower_case_and_singular():
    assert [normal(w) for w in ["GPUs", "Companies", "Processes", "Facebook's", "robots", "AWS", "status"]] == [
        "gpu", "company", "process", "facebook", "robot", "aws", "status",
    ]  # fmt: skip


def test_the_matcher_travels_to_parser_processes_as_its_taxonomy():
    title, excerpt = "Microsoft ships deep learning chips", "Azure customers first."
    copy = pickle.loads(pickle.dumps(TopicMatcher(TOPICS, {(ML, "deep learning"): 0.9})))  # noqa: S301 - our own bytes
    assert copy.factors == {(ML, "deep learning"): 0.9}
    assert copy.assign(title, excerpt) == TopicMatcher(TOPICS, {(ML, "deep learning"): 0.9}).assign(title, excerpt)


def test_cycles_and_an_empty_taxonomy_are_harmless():
    looped = TopicMatcher([TopicSpec(1, "Alpha", parent_id=2), TopicSpec(2, "Beta", parent_id=1)])
    assert {m.topic for m in looped.assign("Alpha news")} == {1, 2}
    empty = TopicMatcher([])
    assert not empty and empty.assign("Deep learning") == []
