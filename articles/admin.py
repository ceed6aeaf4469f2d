from django.contrib import admin

from articles.models import EDITORIAL_FIELDS, Article, Image, RelatedLink, Topic


class ImageInline(admin.TabularInline):
    model = Image
    fk_name = "article"
    extra = 0
    fields = ("position", "url", "width", "height", "title", "file")


class RelatedLinkInline(admin.TabularInline):
    model = RelatedLink
    extra = 0
    fields = ("position", "title", "web_url", "provider", "published_at", "quality")
    autocomplete_fields = ("provider",)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "provider", "published_at", "quality", "published")
    list_editable = ("quality", "published")
    list_filter = ("published",)
    list_select_related = ("provider",)
    search_fields = ("title", "web_url")
    date_hierarchy = "published_at"
    autocomplete_fields = ("provider", "topics")
    readonly_fields = ("web_url_hash", "source_path", "content_hash", "first_imported_at", "last_imported_at",
                       "source_published", "secured", "editor_locked")  # fmt: skip
    inlines = (ImageInline, RelatedLinkInline)

    def save_model(self, request, obj, form, change):
        # Remember what an editor decided, so that later imports leave it alone (DESIGN.md §4).
        touched = EDITORIAL_FIELDS.intersection(form.changed_data)
        if touched:
            obj.editor_locked = sorted(set(obj.editor_locked) | touched)
        super().save_model(request, obj, form, change)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("url", "width", "height", "article", "related_link", "provider")
    raw_id_fields = ("article", "related_link", "provider")
    search_fields = ("url",)


@admin.register(RelatedLink)
class RelatedLinkAdmin(admin.ModelAdmin):
    list_display = ("title", "provider", "article", "position")
    raw_id_fields = ("article",)
    autocomplete_fields = ("provider",)
    search_fields = ("title", "web_url")
