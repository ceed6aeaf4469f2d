"""The article form's topics: the editable field, and where each topic came from (file, automatic, editor)."""

from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from articles.models import ArticleTopic, Topic

SOURCE_TEXT = {
    ArticleTopic.Source.FILE: "from the item file",
    ArticleTopic.Source.AUTO: "automatic",
    ArticleTopic.Source.EDITOR: "added by an editor",
}


def topics_formfield(db_field, admin_site, **kwargs):
    """The `topics` field, which Django's admin leaves out for a many-to-many with a through model.

    ArticleTopic's extra columns have defaults, and `ArticleAdmin.save_related` writes the editor's choice
    with the editor as its source.
    """
    kwargs.setdefault("widget", AutocompleteSelectMultiple(db_field, admin_site, using=kwargs.get("using")))
    kwargs.setdefault("queryset", Topic.objects.all())
    kwargs.setdefault(
        "help_text",
        "Removing a topic, automatic ones included, is an editor's decision: re-imports and assign_topics "
        "leave this story's topics alone from then on.",
    )
    return db_field.formfield(**kwargs)


def topic_source_text(link: ArticleTopic) -> str:
    """Where a topic link came from, as plain text ("automatic: matched “robot”")."""
    text = SOURCE_TEXT.get(link.source, link.source)
    if link.source == ArticleTopic.Source.AUTO and link.term:
        return f"{text}: matched “{link.term}”"
    return text


def _source(link: ArticleTopic) -> str:
    text = SOURCE_TEXT.get(link.source, link.source)
    if link.source == ArticleTopic.Source.AUTO and link.term:
        return format_html("{}, matched “{}”", text, link.term)
    return text


def topic_sources(article) -> str:
    """Each topic of the article with its source and, for automatic ones, the term that matched."""
    if article.pk is None:
        return ""
    links = article.topic_links.select_related("topic").order_by("topic__name")
    if not links:
        return "No topics."
    return format_html(
        '<ul class="topic-sources">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{}</a>: {}</li>',
            (
                (reverse("admin:articles_topic_change", args=[link.topic_id]), link.topic.name, _source(link))
                for link in links
            ),
        ),
    )
