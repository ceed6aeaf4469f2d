"""The article admin: the editors' review queue (change list) and the story form.

The change list is built for a table of a hundred thousand rows: no COUNT(*) over many rows (see
articles/paginator.py), no DISTINCT, no filter that scans the table to draw itself (provider and topic
filters use autocomplete; category and type values are cached), and one query each for the page, its
lead images, its topics and its related-coverage counts. Editorial writes go through `articles.services`.
"""

from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.forms import modelformset_factory
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from articles import services
from articles.admin import direct_inputs, story_panel
from articles.admin.actions import ARTICLE_ACTIONS, ArticleActionForm
from articles.admin.article_topics import topic_sources, topics_formfield
from articles.admin.changes import describe_article_change
from articles.admin.display import attach_counts, first, moment, thumbnail
from articles.admin.inlines import ImageInline, RelatedLinkInline
from articles.admin.search import full_text_available, search_articles
from articles.admin.story import story_link
from articles.admin.upstream import change_label, change_table
from articles.admin_filters import (
    CachedValuesFilter,
    ProviderFilter,
    PublicationFilter,
    PublishedRangeFilter,
    QualityBandFilter,
    ReviewFilter,
    TopicFilter,
)
from articles.desk import upstream
from articles.models import EDITORIAL_FIELDS, Article, Image, RelatedLink, Topic
from articles.paginator import EstimatedCountPaginator

# The story form's first fieldset; `topic_sources` says where each topic came from (file, automatic, editor).
STORY_FIELDS = ("title", "excerpt", ("category", "type"), "provider", "topics", "topic_sources", "published_at")
# Columns the change list never shows, its related rows' included: kept out of its SELECT (JSON decoded for nothing).
_LIST_DEFERRED = (
    "secured", "extra", "original_url", "amp_url", "cdn_amp_url", "source_path", "excerpt", "web_url_hash",
    "content_hash", "provider__other_names", "provider__merged_domains", "provider__extra", "reviewed_by__password",
    "reviewed_by__first_name", "reviewed_by__last_name", "reviewed_by__email",
)  # fmt: skip
# What a thumbnail needs of an image (Image.display_url), and what the prefetch matches it by.
_THUMBNAIL_FIELDS = ("id", "article_id", "position", "url", "file", "status", "renditions")


def is_public(article: Article) -> bool:
    # Asked of the one public rule (a query), not re-derived here: what readers see is what it says.
    return Article.objects.public().filter(pk=article.pk).exists()


class ArticleChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        # Only the page's rows are fetched from this queryset, so what is added here costs per row shown.
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer(*_LIST_DEFERRED)
            .prefetch_related(
                Prefetch("images", queryset=Image.objects.only(*_THUMBNAIL_FIELDS)),
                Prefetch("topics", queryset=Topic.objects.only("id", "name")),
            )
        )

    def get_results(self, request):
        super().get_results(request)
        # Related-coverage counts for the page in one grouped query (a per-row subquery in the page's
        # SELECT would also run for every row a deep page skips over).
        attach_counts(self.result_list, "related_count", RelatedLink, "article")
        # What changed upstream since review, for the page's rows that were reviewed and changed (one query).
        changed = [a.pk for a in self.result_list if a.reviewed_at and a.needs_review]
        changes = upstream.since_review(changed) if changed else {}
        for article in self.result_list:
            article.changed_upstream = changes.get(article.pk, [])


class ArticleAdminForm(direct_inputs.DirectInputsForm):
    class Meta:
        model = Article
        # ModelAdmin.get_form() narrows this to the fieldsets (minus read-only fields) per request.
        fields = (
            "title", "excerpt", "category", "type", "provider", "topics", "published_at", "published", "publish_at",
            "quality", "original_url", "amp_url", "cdn_amp_url",
        )  # fmt: skip
        widgets = {
            name: forms.TextInput(attrs={"class": "vLargeTextField"})  # long headlines and URLs: a wide box
            for name in ("title", "original_url", "amp_url", "cdn_amp_url")
        }
        help_texts = {
            "published": "Approves the story for readers. With “Publish at” set, it goes public at that time.",
            "publish_at": "Leave empty to publish as soon as the story is approved.",
        }

    def clean(self):
        data = super().clean()
        # Setting a time without approving would look scheduled but never go public. (Unticking
        # "Published" on a scheduled story is fine: saving clears its schedule.)
        if "publish_at" in self.changed_data and data.get("publish_at") and not data.get("published"):
            self.add_error("publish_at", "Tick “Published” to approve the story for this time.")
        return data


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    action_form = ArticleActionForm
    actions = ARTICLE_ACTIONS

    # The change list.
    # At 1280 px the image, related and story columns are hidden (static/desk/desk.css) so that the rest fit.
    list_display = (
        "lead_image", "headline", "provider_name", "published_time", "publication", "published", "quality",
        "topic_names", "related_count", "story_column", "review",
    )  # fmt: skip
    list_display_links = ("headline",)
    list_editable = ("published", "quality")
    list_select_related = ("provider", "reviewed_by", "story")
    sortable_by = ("published_time", "quality", "review")
    ordering = ("-published_at", "-id")
    list_filter = (
        PublicationFilter, ReviewFilter, ProviderFilter, TopicFilter, ("category", CachedValuesFilter),
        ("type", CachedValuesFilter), QualityBandFilter, PublishedRangeFilter,
    )  # fmt: skip
    # No date_hierarchy: drawing it reads the date of every row that matches the other filters;
    # PublishedRangeFilter gives the same ranges for nothing.
    search_fields = ("title", "excerpt", "provider__name", "provider__domain", "web_url")
    search_help_text = "Words in the title or excerpt, a provider's name or domain, or a URL (or part of one)."
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    # The story form.
    autocomplete_fields = ("provider", "topics")
    inlines = (ImageInline, RelatedLinkInline)
    fieldsets = (
        (None, {"fields": STORY_FIELDS}),
        (
            "Editorial",
            {
                "fields": (
                    ("published", "publish_at"),
                    "quality",
                    "review_state",
                    "upstream_since_review",
                    "locked_fields",
                    "story_info",
                ),
                "description": "Published, quality and topics belong to editors once changed here: "
                "re-imports keep them. A re-import that changes the item refreshes the other fields.",
            },
        ),
        ("Links", {"fields": ("web_url", "slug", "original_url", "amp_url", "cdn_amp_url")}),
        (
            "Import",
            {
                "classes": ("collapse",),
                "fields": (
                    "source_path",
                    ("first_imported_at", "last_imported_at"),
                    "content_hash",
                    "source_published",
                    "heat",
                    "extra_fields",
                ),
            },
        ),
        ("Secured", {"classes": ("collapse",), "fields": ("secured_blob",)}),
    )
    readonly_fields = (
        "topic_sources", "review_state", "upstream_since_review", "locked_fields", "story_info", "web_url", "slug",
        "source_path",
        "first_imported_at",
        "last_imported_at", "content_hash", "source_published", "heat", "extra_fields", "secured_blob",
    )  # fmt: skip

    def check(self, **kwargs):
        # `topics` has a through model (ArticleTopic, for provenance), which the admin refuses in a form by
        # default; formfield_for_manytomany and save_related handle it.
        return [e for e in super().check(**kwargs) if not (e.id == "admin.E013" and "'topics'" in e.msg)]

    # ------------------------------------------------------------------ permissions

    def has_publish_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.publish_article")

    def has_add_permission(self, request):
        # Articles come from imports: their identity (web_url and its hash) is set there, never typed in.
        return False

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Deleting thousands of stories from a list is never an editorial task (and would time out).
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly += ("published", "publish_at")
        return readonly

    def get_list_editable(self, request) -> tuple[str, ...]:
        if self.has_publish_permission(request):
            return self.list_editable
        return tuple(name for name in self.list_editable if name not in {"published", "publish_at"})

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not changelist.is_popup:
            changelist.list_editable = self.get_list_editable(request)
        return changelist

    def get_changelist_formset(self, request, **kwargs):
        defaults = {"formfield_callback": partial(self.formfield_for_dbfield, request=request), **kwargs}
        fields = self.get_list_editable(request)
        return modelformset_factory(
            self.model,
            self.get_changelist_form(request, fields=fields),
            formset=direct_inputs.DirectInputsFormSet,
            extra=0,
            fields=fields,
            **defaults,
        )

    def action_checkbox(self, obj):
        # Django's, drawn without a template (50 per page; see articles/admin/direct_inputs.py).
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return direct_inputs.action_checkbox(obj, label)

    # ------------------------------------------------------------------ the change list

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "reviewed_by", "story")

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip() or not full_text_available(queryset):
            return super().get_search_results(request, queryset, search_term)
        return search_articles(queryset, search_term), False

    @property
    def media(self):
        # The provider and topic filters use the admin's autocomplete on the change list too.
        autocomplete = AutocompleteSelect(self.opts.get_field("provider"), self.admin_site).media
        return super().media + autocomplete + forms.Media(css={"all": ["desk/desk.css"]})

    @admin.display(description="image")
    def lead_image(self, article):
        return thumbnail(first(article.images.all()))

    @admin.display(description="title")
    def headline(self, article):
        # Long titles are cut to a few lines by the stylesheet; the whole one shows on hover.
        return format_html('<span title="{}">{}</span>', article.title, article.title)

    @admin.display(description="provider")
    def provider_name(self, article):
        if article.provider is None:
            return ""
        return format_html(
            '<a href="?provider={}" title="Only {} stories">{}</a>',
            article.provider_id,
            article.provider.domain,
            article.provider.name,
        )

    @admin.display(description="published at", ordering="published_at")
    def published_time(self, article):
        when = article.published_at
        return format_html('<time datetime="{}">{}</time>', when.isoformat(), moment(when))

    @admin.display(description="status")
    def publication(self, article):
        # Per row, without a query per row: the same test as Article.objects.public(), on loaded fields.
        if not article.published:
            return "Draft"
        if article.publish_at and article.publish_at > timezone.now():
            return format_html("<strong>Scheduled</strong><br>{}", moment(article.publish_at))
        return "Live"

    @admin.display(description="topics")
    def topic_names(self, article):
        return ", ".join(topic.name for topic in article.topics.all())

    @admin.display(description="related")
    def related_count(self, article):
        return article.related_count

    @admin.display(description="story")
    def story_column(self, article):
        return story_link(article.story_id, article.story.size)

    @admin.display(description="story")
    def story_info(self, article):
        if article.pk is None:
            return ""
        story = article.story
        lead = "leads it" if story.lead_id == article.pk else "does not lead it"
        chosen = " (an editor's choice)" if story.lead_pinned and story.lead_id == article.pk else ""
        placed = " Placed here by an editor: clustering leaves it." if "story" in (article.editor_locked or []) else ""
        return format_html(
            '{}: this article {}{}.{} <a href="#story">Its other articles, split, merge and pin</a> below.',
            story_link(story.pk, story.size), lead, chosen, placed,
        )  # fmt: skip

    @admin.display(description="changed upstream since review")
    def upstream_since_review(self, article):
        if article.pk is None or not article.reviewed_at or not article.needs_review:
            return "Nothing since the last review." if article.reviewed_at else "Never reviewed."
        changes = upstream.since_review([article.pk]).get(article.pk, [])
        return change_table(changes) or "Changed upstream (no field-by-field record: changed before they were kept)."

    @admin.display(description="reviewed", ordering="reviewed_at")
    def review(self, article):
        who = article.reviewed_by.get_username() if article.reviewed_by else ""
        reviewed = format_html_join("<br>", "{}", ((part,) for part in (who, moment(article.reviewed_at)) if part))
        if not article.needs_review:
            return reviewed
        if article.reviewed_at is None:
            return format_html('<strong title="new">Needs review</strong><br>{}', reviewed)
        # The change list attaches what changed (ArticleChangeList); the form asks for this one article.
        changes = getattr(article, "changed_upstream", None)
        if changes is None:
            changes = upstream.since_review([article.pk]).get(article.pk, [])
        label = change_label(changes) if changes else "changed upstream"
        return format_html("<strong>Needs review</strong><br>{}<br>{}", label, reviewed)

    # ------------------------------------------------------------------ the story form

    @admin.display(description="review")
    def review_state(self, article):
        if article.pk is None:
            return ""
        text = self.review(article)
        return text or "Never reviewed"

    @admin.display(description="where the topics come from")
    def topic_sources(self, article):
        return topic_sources(article)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "topics":
            return topics_formfield(db_field, self.admin_site, **kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="editor-owned fields")
    def locked_fields(self, article):
        locked = set(article.editor_locked or [])
        kept = sorted(locked & EDITORIAL_FIELDS)
        other = sorted(locked - EDITORIAL_FIELDS)
        if not locked:
            return "None yet: re-imports may update every field."
        text = f"Kept on re-import: {', '.join(kept) or 'none'}."
        if other:
            text += f" Also edited here (a re-import that changes the item overwrites them): {', '.join(other)}."
        return text

    @admin.display(description="extra front matter")
    def extra_fields(self, article):
        if not article.extra:
            return ""
        return format_html_join("", "<div><code>{}</code>: {}</div>", sorted(article.extra.items()))

    @admin.display(description="secured (opaque, never shown publicly)")
    def secured_blob(self, article):
        if not article.secured:
            return ""
        # A read-only box: the blob is one long unbroken line that would run off the page as text.
        return format_html('<textarea readonly rows="4" class="vLargeTextField">{}</textarea>', article.secured)

    def view_on_site(self, article):
        # Unpublished stories 404 on the public site; they have the admin preview instead.
        return article.get_absolute_url() if is_public(article) else None

    def save_model(self, request, obj, form, change):
        if "published" in form.changed_data and not obj.published:
            obj.publish_at = None  # as the unpublish action does: no stale schedule left behind
        services.mark_edited(obj, by=request.user, fields=form.changed_data)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Topics are saved by a service rather than the form's plain set(), so that the links added say who
        # added them; the change message still reads them from cleaned_data afterwards.
        topics = form.cleaned_data.pop("topics", None)
        super().save_related(request, form, formsets, change)
        if topics is not None:
            form.cleaned_data["topics"] = topics
            if "topics" in form.changed_data:
                services.set_topics(article=form.instance, topics=topics)

    def construct_change_message(self, request, form, formsets, add=False):
        if add:
            return super().construct_change_message(request, form, formsets, add)
        return describe_article_change(form)

    # ------------------------------------------------------------------ staff-only preview

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view, cacheable=True)
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        return [
            path("<path:object_id>/preview/", preview, name=name),
            *story_panel.urls(self.admin_site),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context.update(story_panel.context(obj, request))  # the Story section below the form
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request, object_id):
        article = (
            self.get_queryset(request)
            .prefetch_related(
                "topics",
                "images",
                Prefetch("related_links", queryset=RelatedLink.objects.select_related("provider")),
            )
            .filter(pk=unquote(object_id))
            .first()
            if str(object_id).isdigit()
            else None
        )
        if article is None:
            raise Http404("No such article.")
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: {article.title}",
            "opts": self.opts,
            "article": article,
            "lead_image": first(article.images.all()),
            "is_public": is_public(article),
            "change_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[article.pk]),
        }
        response = TemplateResponse(request, "admin/articles/article/preview.html", context)
        # A draft must never be stored by a shared cache or indexed by a search engine.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
