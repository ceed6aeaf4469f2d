"""What the matcher is built from, read from the database: the taxonomy and the items people labelled."""

from django.db.models import Exists, OuterRef

from articles.models import Article, ArticleTopic, Topic
from articles.topics.learning import LabelledItem, term_factors
from articles.topics.matcher import TopicMatcher
from articles.topics.terms import TopicSpec

# The most recent labelled items the matcher learns from: enough to judge the common terms, and a bounded
# start-up cost (about 0.2 s for 5,000) however large the archive grows.
LEARNING_SAMPLE = 5000


def taxonomy() -> list[TopicSpec]:
    """Every topic, as `import_taxonomy` (or an editor) left it: name, short name, parent, keywords."""
    rows = Topic.objects.order_by("name", "id").values_list("id", "name", "shortname", "parent_id", "keywords")
    return [
        TopicSpec(pk, name, shortname, parent_id, tuple(k for k in keywords or () if isinstance(k, str) and k.strip()))
        for pk, name, shortname, parent_id, keywords in rows
    ]


def labelled_items(limit: int = LEARNING_SAMPLE) -> list[LabelledItem]:
    """Recent articles whose topics people chose: the item file's topics, or all of them once an editor
    locked the article's topics (what an editor kept is a choice too). Automatic links are never labels,
    so the matcher does not learn from itself."""
    chosen = ArticleTopic.objects.filter(
        article=OuterRef("pk"), source__in=[ArticleTopic.Source.FILE, ArticleTopic.Source.EDITOR]
    )
    rows = list(
        Article.objects.filter(Exists(chosen))
        .order_by("-id")
        .values_list("id", "title", "excerpt", "editor_locked")[:limit]
    )
    links: dict[int, set[int]] = {}
    locked = {pk for pk, *_, fields in rows if "topics" in (fields or [])}
    for article_id, topic_id, source in ArticleTopic.objects.filter(
        article_id__in=[row[0] for row in rows]
    ).values_list("article_id", "topic_id", "source"):
        if article_id in locked or source == ArticleTopic.Source.FILE:
            links.setdefault(article_id, set()).add(topic_id)
    return [LabelledItem(title, excerpt, frozenset(links.get(pk, ()))) for pk, title, excerpt, _ in rows]


def current_matcher(*, learn: bool = True) -> TopicMatcher:
    """The matcher for the taxonomy as it stands, with the terms that mislead on labelled items demoted."""
    matcher = TopicMatcher(taxonomy())
    if learn and matcher:
        matcher = TopicMatcher(matcher.topics, term_factors(matcher, labelled_items()))
    return matcher
