"""Review mode: the "needs review" queue one story at a time, each decision one key (or one click) away.

Every decision is a plain POST form (CSRF-protected) that works without JavaScript; static/desk/review.js only
maps keys to its buttons. Publish, reject and skip move on to the next story; a rating stays on the story, so
that "7" then "p" rates and publishes. Writes go through articles.desk.decisions (and so articles.services);
the editor's last decision is shown with an undo button.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Prefetch, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles.admin.article_topics import topic_source_text
from articles.admin.display import moment
from articles.desk import decisions, figures, queue, upstream
from articles.desk.decisions import QUALITY_KEYS, Action
from articles.desk.figures import cached
from articles.models import ArticleTopic, RelatedLink, ReviewDecision, Story

MEMBERS_SHOWN = 50  # a story's articles listed (a hub-sized story links to its full page for the rest)
UNDO_WINDOW = timedelta(days=1)
SHORTCUTS = [
    ("p", "Publish the ticked articles, then the next story"),
    ("r", "Reject them (unpublish, leave the queue), then the next story"),
    ("1 – 9, 0", "Rate them 10 – 90, 0 for 100 (stays on the story)"),
    ("s", "Skip: leave the story in the queue, go to the next"),
    ("j or →", "Next story"),
    ("k or ←", "Previous story"),
    ("u", "Undo your last decision"),
    ("?", "Show or hide these shortcuts"),
]


def urls(site) -> list:
    """Review mode's URLs, under the story admin (/admin/articles/story/…)."""
    return [
        path("review/", site.admin_view(start), name="articles_story_review_queue"),
        path("review/undo/<int:decision_id>/", site.admin_view(undo), name="articles_story_review_undo"),
        path("<int:story_id>/review/", site.admin_view(story_view), name="articles_story_review"),
    ]


def _review_url(story_id: int) -> str:
    return reverse("admin:articles_story_review", args=[story_id])


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(f"articles.{perm}") for perm in perms):
        raise PermissionDenied


def _site_context(request) -> dict:
    return admin.site.each_context(request)


def start(request):
    """The first story of the queue, or a page saying the queue is empty."""
    _require(request, "view_article")
    place = queue.next_place()
    if place is not None:
        return HttpResponseRedirect(_review_url(place.story_id))
    context = {**_site_context(request), "title": "Review queue", **_undo_context(request)}
    return TemplateResponse(request, "admin/desk/review_done.html", context)


def story_view(request, story_id: int):
    _require(request, "view_article")
    story = get_object_or_404(Story, pk=story_id)
    if request.method == "POST":
        return _decide(request, story)
    place = queue.place_of(story.pk)
    members = _members(story)
    if not members:
        raise Http404("This story has no articles.")
    lead = members[0]
    user = request.user
    context = {
        **_site_context(request),
        "title": f"Review: {lead.title}",
        "story": story,
        "lead": lead,
        "members": members,
        "more_members": max(story.size - len(members), 0),
        "in_queue": queue.story_needs_review(story.pk),
        "previous": place and queue.previous_place(place),
        "next": place and queue.next_place(place),
        "queue": cached("review-queue", figures.review_queue),
        "cap": queue.COUNT_CAP,
        "can_publish": user.has_perm("articles.publish_article"),
        "can_rate": user.has_perm("articles.change_article"),
        "quality_keys": [(key, QUALITY_KEYS[key]) for key in (*"123456789", "0")],
        "shortcuts": SHORTCUTS,
        **_undo_context(request),
    }
    return TemplateResponse(request, "admin/desk/review.html", context)


def _members(story: Story) -> list:
    """The story's articles, lead first, then newest first, with what review mode says of each."""
    lead_first = Case(When(pk=story.lead_id, then=Value(0)), default=Value(1))
    articles = list(
        story.articles.select_related("provider", "reviewed_by")
        .defer("secured", "extra")
        .prefetch_related(
            "images",
            Prefetch("topic_links", queryset=ArticleTopic.objects.select_related("topic").order_by("topic__name")),
            Prefetch("related_links", queryset=RelatedLink.objects.select_related("provider").order_by("position")),
        )
        .order_by(lead_first, "-published_at", "-id")[:MEMBERS_SHOWN]
    )
    changes = upstream.since_review(a.pk for a in articles if a.reviewed_at and a.needs_review)
    now = timezone.now()
    for article in articles:
        locked = article.editor_locked or []
        article.changes = changes.get(article.pk, [])
        article.status_text = _status(article, now)
        article.quality_source = "editor" if "quality" in locked else "upstream"
        article.review_text = _review_text(article)
        # Ticked unless an editor turned it down before: a decision covers the story's coverage as a whole.
        article.ticked = article.published or "published" not in locked
        for link in article.topic_links.all():
            link.source_text = topic_source_text(link)
    return articles


def _status(article, now) -> str:
    if article.published and article.publish_at and article.publish_at > now:
        return f"scheduled for {moment(article.publish_at)}"
    if article.published:
        return "live"
    return "rejected" if "published" in (article.editor_locked or []) else "not published"


def _review_text(article) -> str:
    if article.reviewed_at is None:
        return "new"
    who = article.reviewed_by.get_username() if article.reviewed_by else "someone"
    seen = f"reviewed by {who}, {moment(article.reviewed_at)}"
    return f"changed upstream since ({seen})" if article.needs_review else seen


def _decide(request, story: Story):
    action = request.POST.get("action", "")
    place = queue.place_of(story.pk)
    if action == "skip":
        return _onwards(place)
    quality = None
    if action.startswith("quality:"):
        action, value = Action.QUALITY, action.removeprefix("quality:")
        quality = int(value) if value.isdigit() and int(value) <= max(QUALITY_KEYS.values()) else None
        if quality is None:
            messages.error(request, "Choose a quality from the buttons.")
            return HttpResponseRedirect(_review_url(story.pk))
    if action not in Action.values:
        messages.error(request, "Choose publish, reject, a quality or skip.")
        return HttpResponseRedirect(_review_url(story.pk))
    _require(request, "change_article", *(["publish_article"] if action != Action.QUALITY else []))
    chosen = [int(pk) for pk in request.POST.getlist("articles") if pk.isdigit()]
    try:
        decision = decisions.decide(story=story, article_ids=chosen, action=action, by=request.user, quality=quality)
    except ValueError as exc:
        messages.error(request, f"Nothing decided: {exc}.")
        return HttpResponseRedirect(_review_url(story.pk))
    messages.success(request, describe(decision))
    if action == Action.QUALITY:
        return HttpResponseRedirect(_review_url(story.pk))
    return _onwards(place)


def _onwards(place):
    following = queue.next_place(place) if place else None
    if following is None:
        following = queue.next_place()  # back to the top: stories may have arrived or been skipped
    if following is None:
        return HttpResponseRedirect(reverse("admin:articles_story_review_queue"))
    return HttpResponseRedirect(_review_url(following.story_id))


def describe(decision: ReviewDecision) -> str:
    n = len(decision.states)
    articles = f"{n} {'article' if n == 1 else 'articles'} of story {decision.story_id}"
    if decision.action == Action.QUALITY:
        return f"Rated {articles}: quality {decision.quality}."
    return f"{decision.get_action_display()} {articles}."


def _undo_context(request) -> dict:
    decision = decisions.last_decision(request.user, since=timezone.now() - UNDO_WINDOW)
    return {"last_decision": decision}


@require_POST
def undo(request, decision_id: int):
    _require(request, "change_article")
    decision = ReviewDecision.objects.filter(pk=decision_id).first()
    if decision is None:
        raise Http404("No such decision.")
    if decision.decided_by_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied  # an editor undoes their own decisions; the history shows everyone's
    if decision.action != Action.QUALITY:
        _require(request, "publish_article")
    try:
        result = decisions.undo(decision=decision, by=request.user)
    except ValueError as exc:
        messages.error(request, f"Nothing undone: {exc}.")
    else:
        if result.restored:
            n = len(result.restored)
            articles = f"{n} {'article' if n == 1 else 'articles'} of story {decision.story_id}"
            messages.success(request, f"Undid “{decision}” on {articles}.")
        for title, reason in result.skipped:
            messages.warning(request, f"Left “{title}” as it is: {reason}.")
    if decision.story_id and Story.objects.filter(pk=decision.story_id).exists():
        return HttpResponseRedirect(_review_url(decision.story_id))
    return HttpResponseRedirect(reverse("admin:articles_story_review_queue"))
