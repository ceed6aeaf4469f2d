"""Change-list search: PostgreSQL full text over title and excerpt, plus provider and URL matches.

Title and excerpt go through the stored `search_vector` column and its GIN index (migration 0003);
a provider matches by name or domain in its own small table; something that looks like a URL is
looked up by identity (a unique index); a path, or an address without its scheme, as the start of a URL's path
(a B-tree on the path, migration 0014); any other fragment by substring through the trigram index on web_url
(migration 0013). No leading-wildcard ILIKE ever runs over the article table's text columns.
"""

from contextlib import suppress

from django.db import connections
from django.db.models import Func, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL

from articles.ingest.fields import Invalid
from articles.ingest.fields import url as normalise_url
from articles.search import websearch_text
from articles.stories.identity import identity_hash
from providers.models import Provider

# One statement, so PostgreSQL can OR the GIN index on search_vector with the provider index (a BitmapOr).
MATCHES = (
    "SELECT id FROM articles_article"
    " WHERE search_vector @@ websearch_to_tsquery('english', %s) OR provider_id = ANY(%s)"
)


class UrlPath(Func):
    """A URL's path and what follows it (`https://host/a/b?c` gives `/a/b?c`), as migration 0014 indexes it.

    The pattern is part of the SQL, not a parameter, so that PostgreSQL matches the expression to the index.
    """

    template = "regexp_replace(%(expressions)s, '^[^/]*//[^/]*', '')"
    output_field = TextField()


def full_text_available(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _looks_like_url(term: str) -> bool:
    return term.startswith(("http://", "https://", "www.")) or "/" in term


def search_articles(queryset: QuerySet, term: str) -> QuerySet:
    """Articles of `queryset` matching `term` (PostgreSQL only; see ArticleAdmin.get_search_results)."""
    term = term.strip()
    if not term:
        return queryset
    if _looks_like_url(term):
        # A whole URL is an identity: one lookup in a unique index. A fragment (or a URL we do not
        # hold, an AMP variant say) falls back to a substring match, served by the trigram index on web_url.
        with suppress(Invalid):
            exact = queryset.filter(web_url_hash=identity_hash(normalise_url(term)))
            if exact.exists():
                return exact
        return _url_fragment(queryset, term)
    # The providers table is small: resolve the matching outlets first, then search once.
    outlets = Provider.objects.filter(Q(name__icontains=term) | Q(domain__icontains=term))
    providers = list(outlets.values_list("pk", flat=True))
    # Constant SQL; the values are bound parameters.
    matches = RawSQL(MATCHES, [websearch_text(term), providers])  # noqa: S611
    return queryset.filter(id__in=matches)


def _url_fragment(queryset: QuerySet, term: str) -> QuerySet:
    """Articles whose URL contains `term`, a part of an address.

    A path ("/2024/05/a-slug") or an address without its scheme ("outlet.example/2024/05/a") is matched as the
    start of a URL's path, a range of the path index whose cost does not grow with the archive (a trigram search
    for it read 6,400 index pages at 1,000,000 stories: its trigrams are in most URLs). Anything else, or a path
    that starts no URL's path, is a substring match through the trigram index.
    """
    host, slash, path = term.split("://", 1)[-1].partition("/")
    if slash and (not host or "." in host):
        # Hosts are stored lower-cased (articles.ingest.fields.url).
        term = term.replace(host, host.lower(), 1)
        by_path = queryset.alias(url_path=UrlPath("web_url")).filter(url_path__startswith=slash + path)
        if host:
            by_path = by_path.filter(web_url__contains=term)
        if by_path.exists():
            return by_path
    return queryset.filter(web_url__contains=term)
