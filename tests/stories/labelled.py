"""Hand-labelled same-event pairs on ../shared/corpus: every article and every related entry is a unit; units
listed in one group below report the same event, every other pair does not (read and decided one by one)."""

from datetime import timedelta
from itertools import combinations
from pathlib import Path

import yaml

from articles.stories.similarity import WINDOW_HOURS, Rarity, Unit

# URL fragments of the units that report one event.
SAME_EVENT = [
    # South Korea tests facial recognition to track COVID cases (Bucheon pilot), 2021-12-12..14.
    ["nytimes.com/2021/12/13", "reuters.com/world/asia-pacific/skorea", "sea.mashable.com/tech/18586",
     "scmp.com/news/asia/east-asia/article/3159471", "gadgetsnow.com/tech-news/s-korea",
     "financialexpress.com/industry/technology/south-korea", "inshorts.com/en/news/s-korea",
     "news.com.au/technology/online/security/how-facial", "i24news.tv/en/news/technology/1639379665",
     "thetimes.co.uk/article/south-korea", "biometricupdate.com/202112/south-korea"],
    # AI tracks down acute myeloid leukaemia (iScience study), 2019-12-23..26.
    ["sciencedaily.com/releases/2019/12/191223095351", "medindia.net/news/artificial-intelligence-that-tracks",
     "economictimes.indiatimes.com/news/diagnostics/artificial-intelligence-tracks"],
    # Facebook takes down a network using AI-generated faces (Graphika report), 2019-12-21..23.
    ["dhakatribune.com/world", "pressdemocrat.com/business/10505019", "scmp.com/tech/big-tech/article/3043186"],
    # Cities and states balk at face recognition (the AP story and its coverage), 2019-12-17..21.
    ["providencejournal.com/news/20191221", "abcnews.go.com/Business/wireStory/cities-states",
     "usatoday.com/story/tech/2019/12/17/face-recognition"],
]  # fmt: skip
# Pairs left out of the count because a reader could argue either way (two COVID ICU-prediction stories).
UNDECIDED = [("healthitanalytics.com", "analyticsindiamag.com/ai-to-help-predict")]


def corpus_units(corpus: Path) -> tuple[dict, Rarity]:
    """{url: (published_at, unit, is_article)} and the term frequencies of the articles, as an import keeps them."""
    units, frequencies, documents = {}, {}, 0
    for path in sorted([*corpus.glob("_news/*.md"), *corpus.glob("_archive/_news/*.md")]):
        data = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        unit = Unit.of(data["title"], data.get("excerpt") or "")
        units[data["webUrl"].strip()] = (data["publishedDateTime"], unit, True)
        documents += 1
        for term in unit.text:
            frequencies[term] = frequencies.get(term, 0) + 1
        for entry in data.get("related") or []:
            when = entry.get("publishedDateTime") or data["publishedDateTime"]
            units.setdefault(
                entry["webUrl"].strip(), (when, Unit.of(entry["title"], entry.get("excerpt") or ""), False)
            )
    return units, Rarity(documents, frequencies)


def label(u: str, v: str) -> bool | None:
    """Same event (True), not (False), or left out (None)."""
    if any((a in u and b in v) or (a in v and b in u) for a, b in UNDECIDED):
        return None
    return any(any(k in u for k in group) and any(k in v for k in group) for group in SAME_EVENT)


def labelled_pairs(units: dict, *, articles_only: bool = True):
    """(u, v, same event?) for every pair within the similarity window; with `articles_only`, pairs with an
    article on at least one side (those clustering compares), else every pair of units."""
    window = timedelta(hours=WINDOW_HOURS)
    for u, v in combinations(sorted(units), 2):
        (when_u, _, article_u), (when_v, _, article_v) = units[u], units[v]
        if (articles_only and not (article_u or article_v)) or abs(when_u - when_v) > window:
            continue
        same = label(u, v)
        if same is not None:
            yield u, v, same
