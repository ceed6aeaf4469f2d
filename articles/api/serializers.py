"""Public representations of stories, topics and providers: an explicit list of fields, never `secured` or `extra`.

Every URL goes through the site's one guard (`safe_url`): only http(s) URLs leave the API.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from articles.templatetags.newsroom import absolute_url, amp_link, original_link

# Stored URLs that are not http(s) are withheld (null), never passed on.
NULLABLE_URI = serializers.URLField(allow_null=True)


def _absolute(serializer, url: str) -> str | None:
    return absolute_url(serializer.context["request"], url) or None


class ImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    width = serializers.SerializerMethodField()
    height = serializers.SerializerMethodField()
    title = serializers.CharField()

    size = "card"

    @extend_schema_field(NULLABLE_URI)
    def get_url(self, image) -> str | None:
        return _absolute(self, image.display_url(self.size))

    def get_width(self, image) -> int | None:
        return image.display_size(self.size)[0]

    def get_height(self, image) -> int | None:
        return image.display_size(self.size)[1]

    @classmethod
    def of(cls, serializer, image) -> dict | None:
        """What this serializer gives for `image` (None: no image), without building one per image: a serializer
        instance deep-copies its fields, which cost more than the rest of a list of stories."""
        if image is None:
            return None
        width, height = image.display_size(cls.size)
        url = _absolute(serializer, image.display_url(cls.size))
        return {"url": url, "width": width, "height": height, "title": image.title}


class LogoSerializer(ImageSerializer):
    size = "thumb"


class OutletSerializer(serializers.Serializer):
    name = serializers.CharField()
    domain = serializers.CharField()
    logo = serializers.SerializerMethodField()

    @extend_schema_field(LogoSerializer(allow_null=True))
    def get_logo(self, provider):
        # Selectors load logos as `logo_list`.
        return LogoSerializer.of(self, provider.logo_list[0] if provider.logo_list else None)


class ProviderSerializer(OutletSerializer):
    """An outlet with public stories here, hence with a page on this site."""

    url = serializers.SerializerMethodField(help_text="The provider's page on this site.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, provider) -> str:
        return _absolute(self, provider.get_absolute_url())


class TopicRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, topic) -> str:
        return _absolute(self, topic.get_absolute_url())


class TopicSerializer(TopicRefSerializer):
    shortname = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.CharField(source="parent.slug", allow_null=True, help_text="Slug of the parent topic.")


class StoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The story in this API: its lead, its public articles and all its coverage.")


class ArticleSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    url = serializers.SerializerMethodField(help_text="The story's page on this site.")
    title = serializers.CharField()
    excerpt = serializers.CharField()
    published_at = serializers.DateTimeField()
    type = serializers.CharField()
    category = serializers.CharField()
    quality = serializers.IntegerField(allow_null=True)
    heat = serializers.IntegerField(allow_null=True)
    original_url = serializers.SerializerMethodField(help_text="The story at its outlet.")
    amp_url = serializers.SerializerMethodField()
    provider = ProviderSerializer(allow_null=True)
    topics = TopicRefSerializer(source="card_topics", many=True)
    image = serializers.SerializerMethodField(help_text="The lead image.")
    related_count = serializers.IntegerField(source="source_count", help_text="Other outlets covering the story.")
    story = serializers.SerializerMethodField(help_text="The story (one event) this article reports.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, article) -> str:
        return _absolute(self, article.get_absolute_url())

    @extend_schema_field(StoryRefSerializer)
    def get_story(self, article) -> dict:
        url = reverse("api:story-detail", kwargs={"pk": article.story_id})
        return {"id": article.story_id, "url": _absolute(self, url)}

    @extend_schema_field(NULLABLE_URI)
    def get_original_url(self, article) -> str | None:
        return original_link(article) or None

    @extend_schema_field(NULLABLE_URI)
    def get_amp_url(self, article) -> str | None:
        return amp_link(article) or None

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, article):
        return ImageSerializer.of(self, article.card_image)


class RelatedLinkSerializer(serializers.Serializer):
    title = serializers.CharField()
    excerpt = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    quality = serializers.IntegerField(allow_null=True)
    original_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The story's page here when it is public on this site.")
    provider = OutletSerializer(allow_null=True)
    image = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_URI)
    def get_original_url(self, link) -> str | None:
        return original_link(link) or None

    @extend_schema_field(NULLABLE_URI)
    def get_url(self, link) -> str | None:
        slug = getattr(link, "local_slug", None)
        return _absolute(self, reverse("articles:detail", kwargs={"slug": slug})) if slug else None

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, link):
        images = link.images.all()
        return ImageSerializer.of(self, images[0] if images else None)


class ArticleDetailSerializer(ArticleSerializer):
    """A story as on its page: loaded by selectors.for_article_page (prefetched topics and images)."""

    topics = TopicRefSerializer(many=True)
    images = ImageSerializer(many=True)
    related = RelatedLinkSerializer(source="related_links", many=True, help_text="More coverage, best first.")
    related_count = None

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, article):
        return ImageSerializer.of(self, article.lead_image)


class CoverageSerializer(serializers.Serializer):
    """One report of a story: another of its public articles, or a related link (one per URL identity)."""

    title = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Its page on this site, when it is a public article here.")
    original_url = serializers.SerializerMethodField(help_text="The report at its outlet.")
    outlet = OutletSerializer(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    image = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_URI)
    def get_url(self, item) -> str | None:
        return _absolute(self, item.url) if item.local else None

    @extend_schema_field(NULLABLE_URI)
    def get_original_url(self, item) -> str | None:
        return item.original_url or None

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, item):
        return ImageSerializer.of(self, item.image)


class StorySerializer(serializers.Serializer):
    """A story as the river shows it: the article that leads it and everything else reporting it."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="This story in the API.")
    latest_at = serializers.DateTimeField(
        source="active_at", help_text="When its newest public article (in a list: matching the filters) appeared."
    )
    outlet_count = serializers.IntegerField(help_text="Distinct outlets reporting it.")
    lead = ArticleSerializer(help_text="The article leading it: the editors' choice, else the best public one.")
    coverage = CoverageSerializer(
        many=True, help_text="Its other public articles (lead rule order), then the related coverage, best first."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, story) -> str:
        return _absolute(self, reverse("api:story-detail", kwargs={"pk": story.id}))


class StoryDetailSerializer(StorySerializer):
    articles = ArticleSerializer(many=True, help_text="Its public articles, the lead first.")


@extend_schema_serializer(many=False)  # a list action's response, yet one object: the page
class StoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The page of older stories, if any.")
    results = StorySerializer(many=True)
