"""RSS 2.0 and Atom feeds of the latest public stories, site-wide and per topic, with lead images as media:content."""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

from articles.models import Topic
from articles.selectors import (
    FEED_SIZE,
    TopicIndex,
    card_queryset,
    in_topics,
    latest_first,
    public_articles,
    story_cards,
    topic_index,
)
from articles.templatetags.newsroom import absolute_url

MEDIA_NS = "http://search.yahoo.com/mrss/"


class _MediaElements:
    """Lead images as Media RSS <media:content> (the same element in both formats)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        image = item.get("image")
        if image:
            attrs = {"url": image["url"], "medium": "image"}
            attrs.update({k: str(image[k]) for k in ("width", "height") if image.get(k)})
            handler.addQuickElement("media:content", None, attrs)


class MediaRssFeed(_MediaElements, Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:media": MEDIA_NS}


class MediaAtomFeed(_MediaElements, Atom1Feed):
    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}


@dataclass
class FeedSource:
    # Feed instances are shared by all requests (and threads): per-request data travels in the feed object.
    request: HttpRequest
    topics: TopicIndex
    topic: Topic | None = None


class LatestStoriesFeed(Feed):
    feed_type = MediaRssFeed
    title = "Newsroom: latest stories"
    description = "The latest stories approved by the Newsroom editors."
    link = "/"
    language = "en"

    def get_object(self, request, *args, **kwargs):
        return FeedSource(request, topic_index())

    def stories(self, source: FeedSource):
        return public_articles()

    def items(self, source: FeedSource):
        articles = story_cards(list(latest_first(card_queryset(self.stories(source)))[:FEED_SIZE]), source.topics)
        for article in articles:
            image = article.card_image
            url = absolute_url(source.request, image.display_url("card")) if image else ""
            width, height = image.display_size("card") if image else (None, None)
            article.feed_image = {"url": url, "width": width, "height": height} if url else None
        return articles

    def item_title(self, item):
        # RSS readers treat titles as HTML, so text is escaped once more (Django's convention, #6533).
        return escape(item.title)

    def item_description(self, item):
        # Descriptions are HTML in RSS and type="html" in Atom; our excerpts are plain text.
        return escape(item.excerpt)

    def item_pubdate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.provider.name if item.provider else None

    def item_categories(self, item):
        return [topic.name for topic in item.card_topics]

    def item_extra_kwargs(self, item):
        return {"image": item.feed_image}


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = MediaAtomFeed
    subtitle = LatestStoriesFeed.description

    def item_title(self, item):
        # Atom titles are text: no extra escaping.
        return item.title


class TopicFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        topics = topic_index()
        topic = topics.by_slug.get(slug)
        if topic is None:
            raise Http404("No such topic.")
        return FeedSource(request, topics, topic)

    def stories(self, source: FeedSource):
        return in_topics(public_articles(), source.topics.descendant_ids(source.topic))

    def title(self, source: FeedSource):
        return f"Newsroom: {source.topic.name}"

    def description(self, source: FeedSource):
        return f"The latest stories about {source.topic.name}, approved by the Newsroom editors."

    def link(self, source: FeedSource):
        return source.topic.get_absolute_url()


class TopicAtomFeed(TopicFeed):
    feed_type = MediaAtomFeed
    item_title = LatestStoriesAtomFeed.item_title

    def subtitle(self, source: FeedSource):
        return self.description(source)
