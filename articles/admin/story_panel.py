"""The article form's Story section: the article's story, its other members, and the editor's story decisions
(split this article out, make it or another member the lead, merge with another story, pin the story to the top).

The section sits below the article form with forms of its own (templates/admin/articles/article/change_form.html),
so a story decision never submits, or loses, the article's unsaved edits. Writes go through
articles.stories.services, like the change list's actions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from articles.admin.display import moment
from articles.models import Article, Story
from articles.stories import services

MEMBERS_SHOWN = 30  # a larger story lists the rest on its own page


class MergeForm(forms.Form):
    """Another story to merge with: found through one of its articles (autocomplete), or by its number."""

    article = forms.ModelChoiceField(
        queryset=Article.objects.all(),
        required=False,
        label="Merge with the story of",
        widget=AutocompleteSelect(Story._meta.get_field("lead"), admin.site, attrs={"data-width": "28em"}),
    )
    story = forms.IntegerField(required=False, min_value=1, label="or story number")

    def clean(self):
        data = super().clean()
        if data.get("article"):
            data["other"] = data["article"].story
        elif data.get("story"):
            data["other"] = Story.objects.filter(pk=data["story"]).first()
            if data["other"] is None:
                raise forms.ValidationError(f"There is no story {data['story']}.")
        else:
            raise forms.ValidationError("Choose an article of the other story, or type its number.")
        return data


def context(article: Article, request) -> dict:
    """What the section shows: the story, its members (this article first), and whether the editor may act."""
    story = article.story
    members = list(
        story.articles.exclude(pk=article.pk)
        .select_related("provider")
        .only("id", "title", "published", "publish_at", "published_at", "quality", "provider__name", "story_id")
        .order_by("-published_at", "-id")[:MEMBERS_SHOWN]
    )
    now = timezone.now()
    for member in members:
        member.moment = moment(member.published_at)
        member.is_public = member.published and (member.publish_at is None or member.publish_at <= now)
    return {
        "story": story,
        "story_members": members,
        "story_more": max(story.size - 1 - len(members), 0),
        "story_can_change": request.user.has_perm("articles.change_article"),
        "merge_form": MergeForm(),
    }


def urls(site) -> list:
    return [
        path("<int:article_id>/story/split/", site.admin_view(split), name="articles_article_story_split"),
        path("<int:article_id>/story/lead/", site.admin_view(make_lead), name="articles_article_story_lead"),
        path("<int:article_id>/story/merge/", site.admin_view(merge), name="articles_article_story_merge"),
        path("<int:article_id>/story/pin/", site.admin_view(pin), name="articles_article_story_pin"),
    ]


def _article(request, article_id: int) -> Article:
    if not request.user.has_perm("articles.change_article"):
        raise PermissionDenied
    return get_object_or_404(Article, pk=article_id)


def _back(article_id: int, *, story: bool = True) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("admin:articles_article_change", args=[article_id]) + ("#story" if story else "")
    )


def _report(request, result: services.StoryResult, done: str) -> None:
    if result.stories:
        messages.success(request, done)
    for title, reason in result.skipped:
        messages.warning(request, f"Nothing done for “{title}”: {reason}.")


@require_POST
def split(request, article_id: int):
    article = _article(request, article_id)
    result = services.split_articles(articles=Article.objects.filter(pk=article.pk), by=request.user)
    _report(
        request, result, f"Split out into a story of its own (story {result.stories[0] if result.stories else ''})."
    )
    return _back(article.pk)


@require_POST
def make_lead(request, article_id: int):
    """Make this article, or the member named in `member`, the lead of its story."""
    article = _article(request, article_id)
    member_id = request.POST.get("member", "")
    lead = article
    if member_id.isdigit() and int(member_id) != article.pk:
        lead = get_object_or_404(Article, pk=int(member_id), story_id=article.story_id)
    result = services.make_lead(article=lead, by=request.user)
    _report(request, result, f"“{lead.title}” now leads story {lead.story_id}.")
    return _back(article.pk)


@require_POST
def merge(request, article_id: int):
    article = _article(request, article_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [e for errors in form.errors.values() for e in errors]:
            messages.error(request, f"Nothing merged: {error}")
        return _back(article.pk)
    other = form.cleaned_data["other"]
    if other.pk == article.story_id:
        messages.error(request, "Nothing merged: that article is already in this story.")
        return _back(article.pk)
    result = services.merge_stories(stories=[article.story, other], by=request.user)
    _report(request, result, f"Merged story {article.story_id} and story {other.pk} into story {result.stories[0]}.")
    return _back(article.pk)


@require_POST
def pin(request, article_id: int):
    """Pin the article's story to the top of the top-stories page, or unpin it (`pinned=0`)."""
    article = _article(request, article_id)
    pinned = request.POST.get("pinned") != "0"
    result = services.pin_to_top(stories=Story.objects.filter(pk=article.story_id), by=request.user, pinned=pinned)
    _report(request, result, f"Story {article.story_id} {'pinned to' if pinned else 'unpinned from'} the top.")
    return _back(article.pk)
