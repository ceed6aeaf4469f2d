from django.conf import settings
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils import timezone

from articles.limits import TERM_MAX_LENGTH, URL_MAX_LENGTH
from articles.paths import article_path
from articles.stories.identity import identity_hash

# Fields whose editorial value must survive re-imports once an editor has touched them.
EDITORIAL_FIELDS = frozenset({"published", "quality", "topics", "story"})

# An article needs review when it was imported, or changed upstream by a re-import, after the last editorial
# review (`last_imported_at` only moves when an import really changed the item). A story needs review when any
# of its articles does. Partial indexes on this condition (Article.Meta) keep the review queue cheap to read.
NEEDS_REVIEW = models.Q(reviewed_at__isnull=True) | models.Q(last_imported_at__gt=models.F("reviewed_at"))


class Topic(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)
    shortname = models.CharField(max_length=50, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    description = models.TextField(blank=True)
    keywords = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="topic_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/topics/{self.slug}/"


class ArticleQuerySet(models.QuerySet):
    def public(self):
        """The one definition of what readers may see: every public route goes through here.

        A scheduled story turns public by itself when its time comes: the check runs in the
        database at query time, so no job has to flip a flag.
        """
        return self.filter(models.Q(publish_at__isnull=True) | models.Q(publish_at__lte=Now()), published=True)


class Article(models.Model):
    # Identity and upstream content (refreshed by imports).
    web_url = models.URLField(max_length=URL_MAX_LENGTH)
    # SHA-256 of the identity (web_url without tracking parameters); unique: see Meta.constraints.
    web_url_hash = models.CharField(max_length=64, editable=False)
    slug = models.SlugField(max_length=120, db_index=False)  # unique: see Meta.constraints
    title = models.CharField(max_length=1000)
    excerpt = models.TextField(blank=True)
    category = models.CharField(max_length=50, blank=True)
    type = models.CharField(max_length=50, blank=True)
    published_at = models.DateTimeField(db_index=True)
    original_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    amp_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    cdn_amp_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    heat = models.IntegerField(null=True, blank=True)
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    secured = models.TextField(blank=True, help_text="Opaque upstream blob: stored and exported verbatim, never shown.")
    extra = models.JSONField(default=dict, blank=True, help_text="Unknown front-matter fields, kept for export.")
    source_published = models.BooleanField(null=True, blank=True, help_text="The file's own `published` flag.")

    # Editorial state (owned by editors once touched; see EDITORIAL_FIELDS).
    published = models.BooleanField(default=False)
    quality = models.IntegerField(null=True, blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles", through="ArticleTopic")
    editor_locked = models.JSONField(
        default=list, blank=True, help_text="Editorial fields an editor changed: imports leave them alone."
    )
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="Scheduled publishing: an approved story turns public at this time."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(
        null=True, blank=True, help_text="When an editor last approved it for readers (published or scheduled)."
    )

    # The event it reports (articles.stories): set at import, changed by clustering and editors.
    story = models.ForeignKey("Story", on_delete=models.PROTECT, related_name="articles", db_index=False)

    # Import bookkeeping.
    source_path = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)  # indexed: see Meta.indexes
    first_imported_at = models.DateTimeField(null=True, blank=True)
    last_imported_at = models.DateTimeField(null=True, blank=True, help_text="Last import that changed the item.")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [("publish_article", "Can publish, unpublish and schedule articles")]
        indexes = [
            models.Index(fields=["published", "-published_at"], name="article_public_latest"),
            models.Index(fields=["provider", "-published_at"], name="article_provider_latest"),
            models.Index(fields=["content_hash"], name="article_content_hash"),
            # A story's members in time order; also serves every lookup by story (no separate FK index).
            models.Index(fields=["story", "published_at"], name="article_story_published"),
            # The review queue (articles.desk), holding only the rows that need review: its order, the stories
            # in it, and how long the oldest has waited, without reading the reviewed rest of the table.
            models.Index(fields=["-published_at", "-id"], condition=NEEDS_REVIEW, name="article_review_latest"),
            models.Index(fields=["story"], condition=NEEDS_REVIEW, name="article_review_story"),
            models.Index(fields=["last_imported_at"], condition=NEEDS_REVIEW, name="article_review_waiting"),
            models.Index(fields=["publish_at"], condition=models.Q(publish_at__isnull=False), name="article_scheduled"),
            models.Index(
                fields=["approved_at"], condition=models.Q(approved_at__isnull=False), name="article_approved"
            ),
            # The change list's category and type filters list their values by one probe per value
            # (articles.admin_filters.distinct_values) instead of reading the table.
            models.Index(fields=["category"], name="article_category"),
            models.Index(fields=["type"], name="article_type"),
        ]
        # Declared here rather than with unique=True/db_index=True on the fields: on PostgreSQL those also add a
        # second, LIKE-only index that no query uses and that every import would pay for.
        constraints = [
            models.UniqueConstraint(fields=["web_url_hash"], name="article_identity_unique"),
            models.UniqueConstraint(fields=["slug"], name="article_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Every article belongs to a story: one saved outside the importer (a script, a test) starts its own.
        new_story = self.story_id is None
        if new_story:
            self.story = Story.objects.create(first_published_at=self.published_at, last_published_at=self.published_at)
        super().save(*args, **kwargs)
        if new_story:
            Story.objects.filter(pk=self.story_id).update(lead=self)
            self.story.lead_id = self.pk

    def get_absolute_url(self) -> str:
        return article_path(self.slug)

    @property
    def lead_image(self):
        images = self.images.all()
        return images[0] if images else None

    @property
    def needs_review(self) -> bool:
        """NEEDS_REVIEW for an instance already in memory."""
        if self.reviewed_at is None:
            return True
        return self.last_imported_at is not None and self.last_imported_at > self.reviewed_at


class SupersededFile(models.Model):
    """An item file that lost to another file of the same identity (a superseded duplicate), by the hash of its
    bytes: an unchanged re-import skips it before parsing, as it skips the winning file by `Article.content_hash`.
    Its rank is kept so that the skip holds only while the article's own file still outranks it."""

    content_hash = models.CharField(max_length=64)  # unique: see Meta.constraints
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()
    path = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["content_hash"], name="superseded_file_hash_unique")]

    def __str__(self) -> str:
        return f"{self.path} (superseded by article {self.article_id})"


class ArticleTopic(models.Model):
    """An article's topic and where it came from (DESIGN.md §6): the item file, the matcher, or an editor."""

    class Source(models.TextChoices):
        FILE = "file", "from the file"
        AUTO = "auto", "automatic"
        EDITOR = "editor", "editor"

    # No index of its own: the (article, topic) unique constraint serves every lookup by article.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="topic_links", db_index=False)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="article_links")
    # Links made by hand (the admin, a shell) come from people; the importer and the matcher always say theirs.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EDITOR)
    term = models.CharField(max_length=TERM_MAX_LENGTH, blank=True, help_text="The matched term, for automatic topics.")

    class Meta:
        db_table = "articles_article_topics"  # the table of the plain many-to-many field this model replaced
        constraints = [models.UniqueConstraint(fields=["article", "topic"], name="article_topic_unique")]

    def __str__(self) -> str:
        return f"{self.topic_id} on {self.article_id} ({self.source})"


class UntaggedArticle(models.Model):
    """An article with no topic link, kept by database triggers (migration 0015) whoever writes the links.

    The admin's "no topic" filter reads this small table instead of anti-joining every article with its links,
    which no index can shorten: 5.7 s at 1,000,000 stories when few articles lack a topic.
    """

    # No foreign key: the triggers also remove the row when its article goes, which a Python-level cascade
    # could not order against the link-delete trigger.
    article_id = models.BigIntegerField(primary_key=True)

    class Meta:
        db_table = "articles_untagged"

    def __str__(self) -> str:
        return f"article {self.article_id} has no topic"


class Story(models.Model):
    """One event: its articles (every article belongs to exactly one story) and the one that leads."""

    # Nullable only because of the circular reference: clustering always sets it.
    lead = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead_pinned = models.BooleanField(default=False, help_text="An editor chose the lead: clustering keeps it.")
    pinned_at = models.DateTimeField(
        null=True, blank=True, help_text="An editor pinned the story to the top of the top-stories page."
    )
    curated = models.BooleanField(
        default=False,
        help_text="An editor split, merged or pinned here: clustering may add new articles, never merge it away.",
    )
    size = models.PositiveIntegerField(default=1, help_text="Number of articles (published or not).")
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "stories"
        ordering = ["-last_published_at", "-id"]
        indexes = [
            models.Index(fields=["pinned_at"], name="story_pinned", condition=models.Q(pinned_at__isnull=False)),
            # The story admin's list, newest first, a page at a time without sorting the table.
            models.Index(fields=["-last_published_at", "-id"], name="story_latest"),
        ]

    def __str__(self) -> str:
        return f"Story {self.pk}"


class StoryTerm(models.Model):
    """How many articles use a word in their title or excerpt: what makes a shared word evidence of one event.

    The row with term 0 counts the articles themselves.
    """

    term = models.BigIntegerField(primary_key=True)
    articles = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"term {self.term}: {self.articles} articles"


class StoryKey(models.Model):
    """A rare title word of an article or of one of its related entries (`position` 0: the article's own title,
    n: related entry n-1), to find same-event candidates by one indexed query."""

    key = models.BigIntegerField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "published_at"], name="story_key_lookup")]

    def __str__(self) -> str:
        return f"key {self.key} of article {self.article_id}/{self.position}"


class RelatedLink(models.Model):
    """Coverage of the same story by another outlet, in upstream order."""

    # No index of its own: the (article, position) unique constraint serves every lookup by article.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links", db_index=False)
    position = models.PositiveSmallIntegerField()
    web_url = models.URLField(max_length=URL_MAX_LENGTH)
    # The identity hash of web_url (as Article.web_url_hash), so links match articles both ways by index.
    url_hash = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=1000)
    excerpt = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    original_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    amp_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    cdn_amp_url = models.URLField(max_length=URL_MAX_LENGTH, blank=True)
    category = models.CharField(max_length=50, blank=True)
    type = models.CharField(max_length=50, blank=True)
    quality = models.IntegerField(null=True, blank=True)
    heat = models.IntegerField(null=True, blank=True)
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="related_links"
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["article", "position"]
        indexes = [models.Index(fields=["url_hash"], name="related_link_url_hash")]
        constraints = [models.UniqueConstraint(fields=["article", "position"], name="related_link_position_unique")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The hash follows the URL whoever saves it (the importer writes both): coverage and clustering match by it.
        self.url_hash = identity_hash(self.web_url)
        if kwargs.get("update_fields") is not None and "web_url" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "url_hash"}
        super().save(*args, **kwargs)


class Image(models.Model):
    """A remote image in upstream order, owned by exactly one article, related link or provider (logo)."""

    url = models.URLField(max_length=URL_MAX_LENGTH, help_text="Source URL.")
    position = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000, blank=True)
    is_cached = models.BooleanField(null=True, blank=True, help_text="Upstream `isCached` flag.")
    file = models.FileField(upload_to="images/", max_length=255, blank=True, help_text="Cached local copy.")
    extra = models.JSONField(default=dict, blank=True)

    # Cache state (the image pipeline): one fetch per distinct URL, shared through `url_hash`.
    class Status(models.TextChoices):
        PENDING = "pending"
        CACHED = "cached"
        FAILED = "failed"

    url_hash = models.CharField(max_length=64, blank=True)  # indexed: see Meta.indexes
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    format = models.CharField(max_length=10, blank=True, help_text="Format identified by Pillow from the bytes.")
    renditions = models.JSONField(default=dict, blank=True, help_text="Size name -> {name, width, height}.")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE, related_name="images")
    related_link = models.ForeignKey(
        RelatedLink, null=True, blank=True, on_delete=models.CASCADE, related_name="images"
    )
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="logos"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="image_fetch_queue"),
            models.Index(fields=["url_hash"], name="image_url_hash"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(article__isnull=False, related_link__isnull=True, provider__isnull=True)
                    | models.Q(article__isnull=True, related_link__isnull=False, provider__isnull=True)
                    | models.Q(article__isnull=True, related_link__isnull=True, provider__isnull=False)
                ),
                name="image_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def display_url(self, size: str = "card") -> str:
        """Best URL to show: the named rendition, else the cached original, else the remote http(s) URL."""
        rendition = self.renditions.get(size) if self.renditions else None
        if rendition:
            from django.core.files.storage import default_storage

            return default_storage.url(rendition["name"])
        if self.file:
            return self.file.url
        if self.status == self.Status.FAILED:
            return ""  # refused or broken (a private address, an SVG): readers' browsers must not request it
        return self.url if self.url.startswith(("https://", "http://")) else ""

    def display_size(self, size: str = "card") -> tuple[int | None, int | None]:
        rendition = self.renditions.get(size) if self.renditions else None
        if rendition:
            return rendition["width"], rendition["height"]
        return self.width, self.height


class ImportRun(models.Model):
    """One run of `import_articles`: who or what started it, with which options, and what came of it."""

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, help_text="User, or the OS account that ran the command.")
    paths = models.JSONField(default=list)
    options = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list, help_text="Per-file errors (the first 1,000).")

    class Meta:
        ordering = ["-started_at"]
        permissions = [("run_import", "Can import article batches")]
        indexes = [models.Index(fields=["-started_at"], name="import_run_started")]

    def __str__(self) -> str:
        return f"Import {self.started_at:%Y-%m-%d %H:%M} by {self.started_by}"


class UpstreamChange(models.Model):
    """What one import changed in an article an editor had already reviewed: each upstream field, old and new.

    Written by the loader (articles/ingest/changes.py) for reviewed articles only; the desk shows the changes made
    since the article's last review.
    """

    # No index of its own: (article, imported_at) serves every lookup by article.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="upstream_changes", db_index=False)
    imported_at = models.DateTimeField(help_text="When the import wrote the change (the article's last_imported_at).")
    changes = models.JSONField(help_text="Field name -> [old value, new value], as text.")

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [
            models.Index(fields=["article", "-imported_at"], name="upstream_change_article"),
            models.Index(fields=["-imported_at"], name="upstream_change_latest"),
        ]

    def __str__(self) -> str:
        return f"{', '.join(self.changes)} of article {self.article_id} at {self.imported_at:%Y-%m-%d %H:%M}"


class ReviewDecision(models.Model):
    """One decision taken in review mode on a story's articles, with their editorial state before and after it:
    undoing it puts the "before" back on the articles that still carry the "after"."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "Published"
        REJECT = "reject", "Rejected"
        QUALITY = "quality", "Rated"

    story = models.ForeignKey(Story, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    quality = models.IntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField()
    states = models.JSONField(help_text="Per article: its id and editorial fields before and after the decision.")
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["decided_by", "-decided_at"], name="review_decision_by")]

    def __str__(self) -> str:
        verb = self.get_action_display()
        return f"{verb} {self.quality}" if self.action == self.Action.QUALITY else verb
