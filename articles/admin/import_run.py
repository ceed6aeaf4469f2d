"""Import runs: every `import_articles` run, read-only (when, by whom, options, counts, per-file errors)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from articles.models import ImportRun

COUNT_COLUMNS = ("files", "created", "updated", "unchanged", "duplicate", "failed", "warnings")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "started_by", "status", "duration", "files", "created", "updated", "unchanged",
                    "failed", "error_count")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("started_by",)
    date_hierarchy = "started_at"
    show_facets = admin.ShowFacets.NEVER
    fields = ("started_at", "finished_at", "duration", "started_by", "status", "path_list", "option_list",
              "count_table", "error_list")  # fmt: skip
    readonly_fields = fields

    # A record of what happened: nobody edits or adds one here. Staff who review articles may read
    # it to see where stories came from, as may importers (`view_importrun`).
    def has_view_permission(self, request, obj=None):
        user = request.user
        return super().has_view_permission(request, obj) or (
            user.is_active and user.is_staff and user.has_perm("articles.view_article")
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="duration")
    def duration(self, run):
        if not run.finished_at:
            return "running" if run.status == ImportRun.Status.RUNNING else ""
        seconds = (run.finished_at - run.started_at).total_seconds()
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"

    def _count(self, run, name):
        return run.counts.get(name, "") if run.counts else ""

    @admin.display(description="files")
    def files(self, run):
        return self._count(run, "files")

    @admin.display(description="created")
    def created(self, run):
        return self._count(run, "created")

    @admin.display(description="updated")
    def updated(self, run):
        return self._count(run, "updated")

    @admin.display(description="unchanged")
    def unchanged(self, run):
        return self._count(run, "unchanged")

    @admin.display(description="failed")
    def failed(self, run):
        return self._count(run, "failed")

    @admin.display(description="errors")
    def error_count(self, run):
        return len(run.errors or [])

    @admin.display(description="paths")
    def path_list(self, run):
        return format_html_join("", "<div><code>{}</code></div>", ((p,) for p in run.paths or []))

    @admin.display(description="options")
    def option_list(self, run):
        options = sorted((name.replace("_", "-"), value) for name, value in (run.options or {}).items())
        return format_html_join("", "<div><code>--{}</code>: {}</div>", options)

    @admin.display(description="counts")
    def count_table(self, run):
        counts = run.counts or {}
        rows = [(name, counts[name]) for name in COUNT_COLUMNS if name in counts]
        rows += [(name, value) for name, value in sorted(counts.items()) if name not in COUNT_COLUMNS]
        return format_html_join("", "<div>{}: {}</div>", rows)

    @admin.display(description="per-file errors")
    def error_list(self, run):
        if not run.errors:
            return "None"
        note = " (the first 1,000 are kept)" if len(run.errors) >= 1000 else ""
        items = format_html_join("", "<li><code>{}</code></li>", ((e,) for e in run.errors))
        return format_html("<p>{} errors{}</p><ol>{}</ol>", len(run.errors), note, items)
