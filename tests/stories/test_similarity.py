"""Same-event text evidence (articles.stories.similarity), measured on hand-labelled corpus pairs and on
look-alikes that must stay apart."""

from hypothesis import example, given
from hypothesis import strategies as st

from articles.stories.similarity import Rarity, Unit, evidence, same_event, term_id, term_ids, words
from tests.stories.labelled import corpus_units, labelled_pairs


def _score(units, rarity, *, articles_only: bool) -> tuple[int, int, int, list]:
    tp = fp = fn = 0
    wrong = []
    for u, v, same in labelled_pairs(units, articles_only=articles_only):
        joined = same_event(units[u][1], units[v][1], rarity)
        tp += joined and same
        fp += joined and not same
        fn += same and not joined
        if joined and not same:
            wrong.append((u, v))
    return tp, fp, fn, wrong


def test_precision_and_recall_on_the_labelled_corpus_pairs(corpus):
    units, rarity = corpus_units(corpus)
    for articles_only in (False, True):
        tp, fp, fn, wrong = _score(units, rarity, articles_only=articles_only)
        which = "pairs with an article" if articles_only else "all pairs"
        print(f"{which}: {tp} joined rightly, {fp} wrongly, {fn} missed: precision {tp / (tp + fp):.2f}, "
              f"recall {tp / (tp + fn):.2f}")  # fmt: skip
        assert wrong == []  # precision first: not one pair of different events
    tp, fp, fn, _ = _score(units, rarity, articles_only=False)
    assert tp / (tp + fn) >= 0.6
    # The unlinked pair of the corpus: Facebook's AI-generated faces, through the Press Democrat entry upstream.
    scmp = next(u for u in units if "scmp.com/tech/big-tech/article/3043186" in u)
    pressdemocrat = next(u for u in units if "pressdemocrat.com/business/10505019" in u)
    assert same_event(units[scmp][1], units[pressdemocrat][1], rarity)


def _rarity(*texts: str, background: int = 2000) -> Rarity:
    """Frequencies of an archive of `background` unrelated articles plus `texts`."""
    frequencies = {}
    for text in texts:
        for term in Unit.of(text).text:
            frequencies[term] = frequencies.get(term, 0) + 1
    return Rarity(background + len(texts), frequencies)


def test_a_rewritten_headline_of_the_same_event_is_the_same_event():
    a = Unit.of("Graphika: Facebook removes network using AI-generated faces to push pro-Trump messages")
    b = Unit.of("Facebook says group used AI-generated faces to push pro-Trump messages, Graphika finds")
    assert same_event(a, b, _rarity("x"))


def test_boilerplate_shared_by_many_articles_is_not_evidence():
    things = ("machine translation", "computer vision", "AI robots", "chatbot", "edge AI", "speech recognition")
    market = [f"Global {thing} market 2021 growth analysis, CAGR and forecast to 2026" for thing in things]
    # An archive where market reports are common: their shared words weigh little.
    rarity = _rarity(*(market * 60))
    a, b = Unit.of(market[0]), Unit.of(market[1])
    coverage, _ = evidence(a, b, rarity)
    assert coverage > 0.3  # most words are shared...
    assert not same_event(a, b, rarity)  # ...but they are the words every report has


def test_a_company_name_and_a_topic_word_are_not_one_event():
    rarity = _rarity(*["Google AI news"] * 300, *["Microsoft AI news"] * 300)
    a = Unit.of("Google unveils a new language model for search")
    b = Unit.of("Google cuts AI ethics team after criticism")
    assert not same_event(a, b, rarity)


def test_words_fold_case_accents_plurals_and_stop_words():
    assert words("The Faces of Zürich’s AI-generated Companies") == ["face", "zurich", "ai", "generated", "company"]


# Words, stop words, apostrophes, accents and characters whose compatibility form is upper-case ASCII ("ℌ").
_PIECES = [*"abzAZ09 '-.s\t\nℌéÉ’ﬁ²Ⅻ", "the ", "it's ", "faces "]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@given(_TEXT | st.text(max_size=60))
@example("ℌello Zürich’s 's ﬁne ²")
def test_term_ids_are_the_ids_of_the_words(text):
    # term_ids is the memoised fast path of the same rule: it must find exactly the terms words() finds.
    assert term_ids(text) == {term_id(word) for word in words(text)}
