"""The article form's read-only inlines: images and related coverage, in upstream order.

Both are replaced wholesale when a re-import changes the item, so editing them here would be
silently undone; they are shown (with thumbnails and providers), not edited.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from articles.admin.direct_inputs import DirectInlineFormSet
from articles.admin.display import first, thumbnail
from articles.models import Image, RelatedLink


class _ReadOnlyInline(admin.TabularInline):
    formset = DirectInlineFormSet  # each row's hidden inputs drawn without a template
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ImageInline(_ReadOnlyInline):
    model = Image
    fk_name = "article"
    fields = ("position", "preview", "source", "size", "title", "status")
    readonly_fields = fields
    verbose_name_plural = "images (the first is the lead image)"

    @admin.display(description="preview")
    def preview(self, image):
        return thumbnail(image, width=120)

    @admin.display(description="source URL")
    def source(self, image):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', image.url, image.url)

    @admin.display(description="size")
    def size(self, image):
        return f"{image.width}×{image.height}" if image.width and image.height else ""


class RelatedLinkInline(_ReadOnlyInline):
    model = RelatedLink
    fields = ("position", "preview", "headline", "outlet", "published_at", "quality")
    readonly_fields = fields
    verbose_name_plural = "related coverage"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider").prefetch_related("images")

    @admin.display(description="image")
    def preview(self, link):
        return thumbnail(first(link.images.all()))

    @admin.display(description="title")
    def headline(self, link):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', link.web_url, link.title)

    @admin.display(description="provider")
    def outlet(self, link):
        if link.provider is None:
            return ""
        url = reverse("admin:providers_provider_change", args=[link.provider_id])
        return format_html('<a href="{}">{}</a><br><span class="quiet">{}</span>', url, link.provider.name,
                           link.provider.domain)  # fmt: skip
