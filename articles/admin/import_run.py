"""Import runs: every `import_articles` run, read-only (when, by whom, options, counts, per-file errors).

Editors read how runs went (the dashboard links here); where the files were on the server and the command's
options are import internals, shown to importers and superusers only.
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.models import ImportRun

COUNT_COLUMNS = ("files", "created", "updated", "unchanged", "duplicate", "failed", "warnings")
INTERNALS = ("path_list", "option_list")


class StartedFilter(admin.SimpleListFilter):
    title = "started"
    parameter_name = "started"
    periods = {"day": ("Last 24 hours", timedelta(hours=24)), "week": ("Last 7 days", timedelta(days=7))}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.periods.items()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in self.periods:
            raise IncorrectLookupParameters(f"unknown period {self.value()!r}")
        return queryset.filter(started_at__gte=timezone.now() - self.periods[self.value()][1])


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [("failures", "Failed, or some files failed"), ("clean", "Every file imported")]

    def queryset(self, request, queryset):
        failures = Q(status=ImportRun.Status.FAILED) | Q(counts__failed__gt=0)
        match self.value():
            case None:
                return queryset
            case "failures":
                return queryset.filter(failures)
            case "clean":
                return queryset.filter(status=ImportRun.Status.FINISHED).exclude(failures)
        raise IncorrectLookupParameters(f"unknown outcome {self.value()!r}")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "started_by", "status", "duration", "files", "created", "updated", "unchanged",
                    "failed", "error_count")  # fmt: skip
    list_filter = ("status", StartedFilter, OutcomeFilter)
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

    def shows_internals(self, request) -> bool:
        return request.user.has_perm("articles.view_importrun")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self.shows_internals(request) else [name for name in fields if name not in INTERNALS]

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
