"""Review mode's decisions on a story's articles, and their undo.

A decision goes through the editorial services (articles.services), so it is attributed, locked against
re-imports where it sets a value, and logged in each article's history like any other edit. What the articles
were before and after is kept on a `ReviewDecision`; undoing it puts "before" back on every article that still
carries "after" (one changed since by someone else is left alone and named), and logs that too.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles import services
from articles.cache import bump_public_version
from articles.models import Article, ReviewDecision, Story
from articles.services import _entry

Action = ReviewDecision.Action
# An article's editorial state: what a decision may change and what undo restores.
STATE_FIELDS = ("published", "publish_at", "quality", "approved_at", "editor_locked", "reviewed_by_id", "reviewed_at")
_TIMES = frozenset({"publish_at", "approved_at", "reviewed_at"})

# Quality keys in review mode: 1-9 give 10-90, 0 gives 100. Upstream's real items run 3-96; synthetic feeds go to
# 200, so 100 and above stays the top band (admin_filters.QUALITY_BANDS) for what an editor marks exceptional.
QUALITY_KEYS = {str(digit): digit * 10 for digit in range(1, 10)} | {"0": 100}


@dataclass(slots=True)
class Undone:
    restored: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (title, reason)


def _state(row: dict) -> dict:
    return {name: row[name].isoformat() if name in _TIMES and row[name] else row[name] for name in STATE_FIELDS}


def _values(state: dict) -> dict:
    return {name: parse_datetime(value) if name in _TIMES and value else value for name, value in state.items()}


def _states(ids) -> dict[int, dict]:
    rows = Article.objects.filter(pk__in=ids).order_by("pk").values("id", *STATE_FIELDS)
    return {row["id"]: _state(row) for row in rows}


@transaction.atomic
def decide(
    *,
    story: Story,
    article_ids: list[int],
    action: str,
    by: AbstractBaseUser,
    quality: int | None = None,
    at: datetime | None = None,
) -> ReviewDecision:
    """Publish, reject or rate the chosen articles of `story`; each leaves the review queue."""
    if action not in Action.values:
        raise ValueError(f"unknown decision {action!r}")
    if action == Action.QUALITY and quality is None:
        raise ValueError("choose a quality")
    now = at or timezone.now()
    locked = Article.objects.select_for_update().filter(story=story, pk__in=article_ids).order_by("pk")
    ids = list(locked.values_list("pk", flat=True))
    if not ids:
        raise ValueError("choose at least one article of this story")
    before = _states(ids)
    chosen = Article.objects.filter(pk__in=ids)
    if action == Action.PUBLISH:
        services.publish_articles(articles=chosen, by=by, at=now)
        services.mark_reviewed(articles=chosen, by=by, at=now)  # those already public: approved as they are
    elif action == Action.REJECT:
        services.reject_articles(articles=chosen, by=by, at=now)
    else:
        services.set_quality(articles=chosen, by=by, quality=quality, at=now)
        services.mark_reviewed(articles=chosen, by=by, at=now)  # those already at that quality
    after = _states(ids)
    return ReviewDecision.objects.create(
        story=story,
        action=action,
        quality=quality if action == Action.QUALITY else None,
        decided_by=by,
        decided_at=now,
        states=[{"id": pk, "before": before[pk], "after": after[pk]} for pk in ids],
    )


def last_decision(user: AbstractBaseUser, *, since: datetime) -> ReviewDecision | None:
    """The user's latest decision that can still be undone (not undone, taken after `since`)."""
    decisions = ReviewDecision.objects.filter(decided_by=user, undone_at__isnull=True, decided_at__gte=since)
    return decisions.select_related("story").order_by("-decided_at", "-id").first()


@transaction.atomic
def undo(*, decision: ReviewDecision, by: AbstractBaseUser, at: datetime | None = None) -> Undone:
    """Put back what the articles were before `decision`, where nobody changed them since."""
    now = at or timezone.now()
    decision = ReviewDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.undone_at is not None:
        raise ValueError("this decision was already undone")
    ids = [state["id"] for state in decision.states]
    locked = Article.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    rows = {row["id"]: row for row in locked.values("id", "title", *STATE_FIELDS)}
    result, logs = Undone(), []
    when = timezone.localtime(decision.decided_at).strftime("%Y-%m-%d %H:%M")
    for state in decision.states:
        row = rows.get(state["id"])
        if row is None:
            continue  # deleted since: nothing to put back
        if _state(row) != state["after"]:
            result.skipped.append((row["title"], "changed since the decision"))
            continue
        Article.objects.filter(pk=row["id"]).update(**_values(state["before"]))
        result.restored.append(row["id"])
        message = f"Undid the review decision “{decision}” of {when}."
        logs.append(_entry(Article, row["id"], row["title"], by=by, at=now, message=message, flag=CHANGE))
    LogEntry.objects.bulk_create(logs)
    decision.undone_by, decision.undone_at = by, now
    decision.save(update_fields=["undone_by", "undone_at"])
    if result.restored:
        bump_public_version()  # publication or quality (which ranks stories) changed back
    return result
