"""Images (with a preview and their cache state) and related links, as their own lists."""

from contextlib import suppress

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from articles.admin.display import moment, thumbnail
from articles.ingest.fields import Invalid
from articles.ingest.fields import url as normalise_url
from articles.models import Image, RelatedLink
from articles.paginator import EstimatedCountPaginator
from articles.stories.identity import url_identity_hash

CACHE_STATE_FIELDS = (
    "status", "failure_reason", "attempts", "next_attempt_at", "fetched_at", "content_sha256", "format", "renditions",
)  # fmt: skip


class _LargeTableAdmin(admin.ModelAdmin):
    """Lists of hundreds of thousands of rows: newest first by primary key, no full COUNT(*), no facets."""

    ordering = ("-id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50


@admin.register(Image)
class ImageAdmin(_LargeTableAdmin):
    list_display = ("preview", "source", "owner", "status", "is_cached", "size", "fetched")
    list_filter = ("status", "is_cached")
    list_select_related = ("article", "related_link", "provider")
    raw_id_fields = ("article", "related_link", "provider")
    search_fields = ("url",)
    search_help_text = "A full image URL (instant), or part of one."
    fieldsets = (
        (None, {"fields": ("large_preview", "url", "title", "position", ("width", "height"), "is_cached", "file")}),
        ("Owner", {"fields": ("article", "related_link", "provider")}),
        ("Cache state", {"fields": CACHE_STATE_FIELDS}),
    )
    readonly_fields = ("large_preview", "url_hash", *CACHE_STATE_FIELDS)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith(("http://", "https://")):
            # The indexed hash answers a pasted URL at once; a substring search reads the whole table.
            with suppress(Invalid):
                term = normalise_url(term)
            # Rows added by hand may carry no hash yet: those few are found through the same index ("").
            return queryset.filter(Q(url_hash=url_identity_hash(term)) | Q(url_hash="", url=term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="preview")
    def preview(self, image):
        return thumbnail(image)

    @admin.display(description="preview")
    def large_preview(self, image):
        return thumbnail(image, size="card", width=400)

    @admin.display(description="source URL")
    def source(self, image):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', image.url, image.url[:80])

    @admin.display(description="owner")
    def owner(self, image):
        owner = image.article or image.related_link or image.provider
        return str(owner)[:80] if owner else ""

    @admin.display(description="size")
    def size(self, image):
        return f"{image.width}×{image.height}" if image.width and image.height else ""

    @admin.display(description="fetched", ordering="fetched_at")
    def fetched(self, image):
        return moment(image.fetched_at)


@admin.register(RelatedLink)
class RelatedLinkAdmin(_LargeTableAdmin):
    list_display = ("title", "provider", "article", "position", "published_at", "quality")
    list_select_related = ("provider", "article")
    raw_id_fields = ("article",)
    autocomplete_fields = ("provider",)
    search_fields = ("title", "web_url")
