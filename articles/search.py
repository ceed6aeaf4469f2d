"""Full-text search over public stories: ranked in PostgreSQL, a plain substring search elsewhere.

On PostgreSQL, migration 0003 keeps a stored `search_vector` column (title weighted A, excerpt B) with a
GIN index; it is not a model field, so it is referenced as raw SQL. Results carry `title_snippet` and
`excerpt_snippet`: plain text with MARK_START/MARK_STOP around the matches, for the `highlight` filter.
"""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from newsroom.errors import InvalidParameter

# Control characters: the importer strips them from text and PostgreSQL cannot store NUL, so stored titles
# cannot fake a highlight; `highlight` escapes the text before turning the markers into <mark>.
MARK_START, MARK_STOP = "\x02", "\x03"
MAX_QUERY_LENGTH = 200
# websearch_to_tsquery nests one NOT per "-" that follows anything but a letter or digit ("---x", "- - x", "!--x"),
# and PostgreSQL gives up past 32 levels ("tsquery stack too small"). Between two words one "-" is all that counts.
_BETWEEN_WORDS = re.compile(r"[\W_]+")
SEARCH_CONFIG = "english"  # must match the configuration of the generated column in migration 0003
# Only the newest matches are ranked, so a common word costs the same at any archive size: scoring every match grew
# with the archive (issue 13: 25.6 ms at 10,000 stories, 86.1 ms at 110,000); bench/scale, a word in 16% of the
# articles: 35.2 / 31.5 / 36.8 ms at 10,000 / 100,000 / 1,000,000 stories.
RANKED_MATCHES = 1_000


class OuterTableExpression(Expression):
    """An SQL snippet about the query's own article row, which follows Django's renaming of that table."""

    def __init__(self, alias: str | None = None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone


class SearchDocument(OuterTableExpression):
    """The article's stored `search_vector` column, under whatever alias the query gives the article table.

    RawSQL("articles_article.search_vector") would do in a flat query, but in a subquery Django renames the
    table (U0) and the raw name silently points back at the outer row.
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name(self.alias)}.search_vector", []


def normalise_query(q: str | None) -> str:
    """Search terms as the page echoes and caches them: whitespace runs collapsed to one space."""
    return " ".join((q or "").split())


def search_parameter(value: str) -> str | None:
    """`q` as the public cache keys it (articles.cache): normalised, nothing when blank."""
    return normalise_query(value) or None


def search_terms(q: str | None) -> str:
    """The reader's search terms, normalised; longer than MAX_QUERY_LENGTH is a 400 rather than a silent cut."""
    q = normalise_query(q)
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter("q", f"Search terms are limited to {MAX_QUERY_LENGTH} characters.")
    return q


def websearch_text(q: str) -> str:
    """`q` as PostgreSQL's websearch_to_tsquery() can always parse it: at most one "-" between two words."""
    return _BETWEEN_WORDS.sub(_one_negation, q)


def _one_negation(gap: re.Match) -> str:
    text = gap.group(0)
    if text.count("-") < 2:
        return text
    last = text.rindex("-")
    return text[:last].replace("-", "") + text[last:]


def search_articles(queryset: QuerySet, q: str) -> QuerySet:
    """`queryset` narrowed to the matches of `q`, best first, with highlighted snippets.

    On PostgreSQL only the newest RANKED_MATCHES matches are ranked and listed: a reader past the fiftieth page
    of a common word is better served by a narrower search (the page says so).
    """
    q = normalise_query(q)
    if not q:
        return queryset.none()
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, q)
    return _substring_search(queryset, q)


def window_end(page) -> int | None:
    """RANKED_MATCHES when the last ranked match is on `page` (PostgreSQL): older matches exist only for a narrower
    search, and the page says so."""
    shown = (page.number - 1) * page.size + len(page)
    full = connection.vendor == "postgresql" and not page.has_next() and shown >= RANKED_MATCHES
    return RANKED_MATCHES if full else None


def _postgres_search(queryset: QuerySet, q: str) -> QuerySet:
    query = SearchQuery(websearch_text(q), search_type="websearch", config=SEARCH_CONFIG)
    marks = {"config": SEARCH_CONFIG, "start_sel": MARK_START, "stop_sel": MARK_STOP}
    # The newest RANKED_MATCHES matches: the planner walks the published_at index until it has them (a common word)
    # or takes the few matches from the GIN index (a rare one); either way the work stops at the window.
    newest = (
        queryset.alias(document=SearchDocument()).filter(document=query).order_by("-published_at", "-id").values("pk")
    )
    # Ranked among themselves; PostgreSQL computes the two headlines for the returned page only.
    return (
        queryset.filter(pk__in=newest[:RANKED_MATCHES])
        .annotate(
            rank=SearchRank(SearchDocument(), query),
            title_snippet=SearchHeadline("title", query, highlight_all=True, **marks),
            excerpt_snippet=SearchHeadline("excerpt", query, max_words=35, min_words=15, **marks),
        )
        .order_by("-rank", "-published_at", "-id")
    )


def _substring_search(queryset: QuerySet, q: str) -> QuerySet:
    """SQLite and friends: every word must appear in the title or excerpt; title matches rank first."""
    words = _words(q)
    if not words:
        return queryset.none()
    matches, in_title = Q(), Q()
    for word in words:
        matches &= Q(title__icontains=word) | Q(excerpt__icontains=word)
        in_title &= Q(title__icontains=word)
    return (
        queryset.filter(matches)
        .annotate(
            rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField()),
            title_snippet=F("title"),
            excerpt_snippet=F("excerpt"),
        )
        .order_by("-rank", "-published_at", "-id")
    )


def mark_matches(articles, q: str) -> None:
    """Outside PostgreSQL, mark the query's words in the snippets of one page of results (in Python)."""
    if connection.vendor == "postgresql":
        return
    words = _words(normalise_query(q))
    for article in articles:
        article.title_snippet = mark_words(article.title_snippet, words)
        article.excerpt_snippet = mark_words(article.excerpt_snippet, words)


def mark_words(text: str, words: list[str]) -> str:
    """`text` with MARK_START/MARK_STOP around each case-insensitive occurrence of the words."""
    if not text or not words:
        return text or ""
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    return pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_STOP}", text)


def _words(q: str) -> list[str]:
    # websearch syntax (quotes, "or", a leading "-") has no meaning for a substring search.
    return [word for word in re.split(r"[\s\"]+", q) if word and word.lower() != "or" and not word.startswith("-")]
