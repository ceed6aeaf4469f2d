"""Bulk actions on the article change list; each one calls a service and reports counts and skips."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import services
from articles.admin import direct_inputs
from articles.limits import INT_MAX, INT_MIN
from articles.models import Article, Story, Topic
from articles.stories import services as story_services

MAX_LISTED = 10  # skipped titles named in a message; the rest are counted


class ArticleActionForm(helpers.ActionForm):
    """The action menu plus the values some actions need (quality, topic, publish time).

    They are lenient text fields on purpose: a form error here would make Django drop the whole
    action with "No action selected"; the action itself says precisely what is wrong.
    """

    quality = forms.CharField(
        required=False, label="Quality", widget=forms.NumberInput(attrs={"class": "vIntegerField", "step": 1})
    )
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        label="Topic",
        widget=AutocompleteSelect(Article._meta.get_field("topics"), admin.site, attrs={"data-width": "14em"}),
    )
    publish_at = forms.CharField(
        required=False, label="Publish at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser sends a wall-clock time; it is read in the server's current time zone.
        self.fields["publish_at"].label = f"Publish at ({timezone.get_current_timezone_name()})"
        for field in self.fields.values():
            field.widget = direct_inputs.direct(field.widget)  # the action menu and the topic autocomplete too


def _field(request, name: str) -> str:
    return request.POST.get(name, "").strip()


def _report(modeladmin, request, result: services.BulkResult, done: str) -> None:
    """`done` is the start of the success message ("Published"); the count and noun follow."""
    n = result.changed
    if n:
        modeladmin.message_user(request, f"{done} {n} {'article' if n == 1 else 'articles'}.", messages.SUCCESS)
    by_reason: dict[str, list[services.Skipped]] = {}
    for skipped in result.skipped:
        by_reason.setdefault(skipped.reason, []).append(skipped)
    for reason, items in by_reason.items():
        names = ", ".join(f"“{item.title}”" for item in items[:MAX_LISTED])
        more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
        noun = "article" if len(items) == 1 else "articles"
        modeladmin.message_user(request, f"Skipped {len(items)} {noun} ({reason}): {names}{more}.", messages.WARNING)
    if not n and not result.skipped:
        modeladmin.message_user(request, "No articles were selected.", messages.WARNING)


@admin.action(permissions=["publish"], description="Publish selected articles now")
def publish(modeladmin, request, queryset):
    result = services.publish_articles(articles=queryset, by=request.user)
    _report(modeladmin, request, result, "Published")


@admin.action(permissions=["publish"], description="Schedule selected articles (set “Publish at”)")
def schedule(modeladmin, request, queryset):
    value = _field(request, "publish_at")
    try:
        publish_at = forms.DateTimeField().clean(value)
    except ValidationError:
        publish_at = None
    if publish_at is None:
        modeladmin.message_user(request, "Choose a date and time in “Publish at” to schedule.", messages.ERROR)
        return
    if publish_at <= timezone.now():
        modeladmin.message_user(request, "“Publish at” is in the past: use “Publish” instead.", messages.ERROR)
        return
    result = services.schedule_articles(articles=queryset, by=request.user, publish_at=publish_at)
    _report(modeladmin, request, result, f"Scheduled for {timezone.localtime(publish_at):%Y-%m-%d %H:%M %Z}:")


@admin.action(permissions=["publish"], description="Unpublish selected articles")
def unpublish(modeladmin, request, queryset):
    result = services.unpublish_articles(articles=queryset, by=request.user)
    _report(modeladmin, request, result, "Unpublished")


@admin.action(permissions=["change"], description="Set quality of selected articles (set “Quality”)")
def set_quality(modeladmin, request, queryset):
    value = _field(request, "quality")
    if value.lower() in {"", "none", "unrated"}:
        modeladmin.message_user(request, "Enter a number in “Quality” to set it.", messages.ERROR)
        return
    try:
        quality = int(value)
    except ValueError:
        quality = None
    if quality is None or not INT_MIN <= quality <= INT_MAX:
        modeladmin.message_user(request, f"“{value}” is not a valid quality: enter a whole number.", messages.ERROR)
        return
    result = services.set_quality(articles=queryset, by=request.user, quality=quality)
    _report(modeladmin, request, result, f"Set quality to {quality} on")


def _topic(modeladmin, request) -> Topic | None:
    value = _field(request, "topic")
    topic = Topic.objects.filter(pk=value).first() if value.isdigit() else None
    if topic is None:
        modeladmin.message_user(request, "Choose a topic in “Topic” first.", messages.ERROR)
    return topic


@admin.action(permissions=["change"], description="Add a topic to selected articles (set “Topic”)")
def add_topic(modeladmin, request, queryset):
    if topic := _topic(modeladmin, request):
        result = services.add_topic(articles=queryset, by=request.user, topic=topic)
        _report(modeladmin, request, result, f"Added topic “{topic.name}” to")


@admin.action(permissions=["change"], description="Remove a topic from selected articles (set “Topic”)")
def remove_topic(modeladmin, request, queryset):
    if topic := _topic(modeladmin, request):
        result = services.remove_topic(articles=queryset, by=request.user, topic=topic)
        _report(modeladmin, request, result, f"Removed topic “{topic.name}” from")


@admin.action(permissions=["change"], description="Mark selected articles as reviewed")
def mark_reviewed(modeladmin, request, queryset):
    result = services.mark_reviewed(articles=queryset, by=request.user)
    _report(modeladmin, request, result, "Marked as reviewed:")


@admin.action(permissions=["change"], description="Split selected articles out of their stories")
def split_out(modeladmin, request, queryset):
    from articles.admin.story import report

    report(modeladmin, request, story_services.split_articles(articles=queryset, by=request.user), "Split out")


@admin.action(permissions=["change"], description="Make the selected article the lead of its story")
def make_lead(modeladmin, request, queryset):
    from articles.admin.story import report

    chosen = list(queryset[:2])
    if len(chosen) != 1:
        modeladmin.message_user(request, "Select exactly one article to lead its story.", messages.ERROR)
        return
    result = story_services.make_lead(article=chosen[0], by=request.user)
    report(modeladmin, request, result, f"“{chosen[0].title}” now leads its story")


def _stories_of(queryset):
    return Story.objects.filter(pk__in=queryset.order_by().values("story_id"))


@admin.action(permissions=["change"], description="Merge the stories of the selected articles into one")
def merge_stories(modeladmin, request, queryset):
    from articles.admin.story import report

    try:
        result = story_services.merge_stories(stories=list(_stories_of(queryset)), by=request.user)
    except ValueError as exc:
        modeladmin.message_user(request, f"Nothing merged: {exc}.", messages.ERROR)
        return
    report(modeladmin, request, result, f"Merged their stories into story {result.stories[0]}")


@admin.action(permissions=["change"], description="Pin the stories of the selected articles to the top")
def pin_stories(modeladmin, request, queryset):
    from articles.admin.story import report

    report(modeladmin, request, story_services.pin_to_top(stories=_stories_of(queryset), by=request.user), "Pinned")


@admin.action(permissions=["change"], description="Unpin the stories of the selected articles from the top")
def unpin_stories(modeladmin, request, queryset):
    from articles.admin.story import report

    result = story_services.pin_to_top(stories=_stories_of(queryset), by=request.user, pinned=False)
    report(modeladmin, request, result, "Unpinned")


ARTICLE_ACTIONS = [
    publish, schedule, unpublish, set_quality, add_topic, remove_topic, mark_reviewed, split_out, make_lead,
    merge_stories, pin_stories, unpin_stories,
]  # fmt: skip
