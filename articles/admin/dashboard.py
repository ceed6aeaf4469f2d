"""The editors' dashboard, the admin's front page (newsroom/admin_site.py): one panel per question (STYLE.md §4).

A panel is a small class with an `order`, a template and a `context()` that asks articles.desk.figures one
question (kept a minute in the cache); another app adds one with `@register_panel` without touching the page.
"""

from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from articles.desk import charts, figures
from articles.desk.figures import cached
from articles.desk.queue import COUNT_CAP
from articles.models import UpstreamChange

CHANGELIST = "admin:articles_article_changelist"
PANELS: list[type["Panel"]] = []


def register_panel(panel: type["Panel"]) -> type["Panel"]:
    PANELS.append(panel)
    return panel


class Panel:
    order = 100
    template = ""
    title = ""
    width = "quarter"  # of the dashboard's width on a wide screen: "quarter", "half" or "full"

    def __init__(self, request, now: datetime):
        self.request, self.now = request, now

    def is_shown(self) -> bool:
        return True

    def context(self) -> dict:
        raise NotImplementedError

    def render(self) -> str:
        return render_to_string(self.template, {"panel": self, **self.context()}, self.request)


def _articles(**params) -> str:
    return reverse(CHANGELIST) + ("?" + urlencode(params) if params else "")


@register_panel
class ReviewQueuePanel(Panel):
    order = 10
    title = "Needs review"
    template = "admin/desk/panels/review_queue.html"

    def context(self):
        user = self.request.user
        return {
            "queue": cached("review-queue", figures.review_queue),
            "cap": COUNT_CAP,
            "can_review": user.has_perm("articles.change_article"),
            "review_url": reverse("admin:articles_story_review_queue"),
            "list_url": _articles(review="needed"),
        }


@register_panel
class ScheduledPanel(Panel):
    order = 20
    title = "Going public in the next 24 hours"
    template = "admin/desk/panels/scheduled.html"

    def context(self):
        return {
            "scheduled": cached("scheduled", lambda: figures.scheduled(now=self.now)),
            "list_url": _articles(status="scheduled"),
        }


@register_panel
class ImportsPanel(Panel):
    order = 30
    title = "Imports"
    template = "admin/desk/panels/imports.html"
    width = "half"

    def context(self):
        runs = reverse("admin:articles_importrun_changelist")
        windows = cached("imports", lambda: figures.imports(now=self.now))
        periods = {"Last 24 hours": "day", "Last 7 days": "week"}
        return {
            "windows": [
                (
                    window,
                    f"{runs}?{urlencode({'started': periods[window.label]})}",
                    f"{runs}?{urlencode({'started': periods[window.label], 'outcome': 'failures'})}",
                )
                for window in windows
            ],
        }


@register_panel
class UpstreamChangesPanel(Panel):
    order = 45
    title = "Changed upstream after review"
    template = "admin/desk/panels/upstream_changes.html"
    width = "half"
    listed = 6

    def context(self):
        def latest():
            # The newest records first, through their own index; each names the fields that changed.
            rows = UpstreamChange.objects.select_related("article").order_by("-imported_at", "-id")[: self.listed]
            return [(row.article_id, row.article.title, list(row.changes), row.imported_at) for row in rows]

        return {"changes": cached("upstream-changes", latest), "list_url": _articles(review="needed")}


def _day_link(day) -> str:
    return _articles(published_from=day.isoformat(), published_to=day.isoformat())


@register_panel
class ApprovalsPanel(Panel):
    order = 40
    title = "Stories approved per day"
    template = "admin/desk/panels/approvals.html"
    width = "half"

    def context(self):
        days = cached("approvals", lambda: figures.approvals_per_day(now=self.now))
        total = sum(day.count for day in days)
        chart = charts.column_chart(
            [charts.Column(day.day, day.count) for day in days],
            chart_id="chart-approvals",
            title=f"Stories approved per day, last {len(days)} days",
            description=f"{total} stories approved by editors in {len(days)} days; the last column is today.",
        )
        return {"days": days, "total": total, "chart": chart}


class _SharePanel(Panel):
    template = "admin/desk/panels/shares.html"
    width = "half"
    noun = ""
    parameter = ""
    figure = None

    def context(self):
        shares = cached(f"shares-{self.parameter}", lambda: type(self).figure(now=self.now))
        since = (self.now - timedelta(days=figures.CHART_DAYS)).date()
        chart = charts.bar_chart(
            [charts.Bar(share.label, share.stories, share.public, self._link(share.id, since)) for share in shares],
            chart_id=f"chart-{self.parameter}",
            title=self.title,
            description=f"Stories per {self.noun} published in the last {figures.CHART_DAYS} days, the "
            f"{len(shares)} largest first, with how many of them are public.",
            part_name="public",
        )
        return {"shares": shares, "chart": chart, "noun": self.noun, "since": since}

    def _link(self, pk: int, since) -> str:
        return _articles(**{self.parameter: pk, "published_from": since.isoformat()})


@register_panel
class TopicsPanel(_SharePanel):
    order = 50
    title = "Stories per topic, last 30 days"
    noun = "topic"
    parameter = "topic"
    figure = staticmethod(figures.stories_per_topic)


@register_panel
class OutletsPanel(_SharePanel):
    order = 60
    title = "Stories per outlet, last 30 days"
    noun = "outlet"
    parameter = "provider"
    figure = staticmethod(figures.stories_per_outlet)


def dashboard(site, request) -> TemplateResponse:
    now = timezone.now()
    panels = [panel(request, now) for panel in sorted(PANELS, key=lambda panel: panel.order)]
    context = {
        **site.each_context(request),
        "title": site.index_title,
        "panels": [(panel, panel.render()) for panel in panels if panel.is_shown()],
        "refreshed": now,
        "refresh_after": timedelta(seconds=figures.CACHE_SECONDS),
        "apps_url": reverse("admin:apps"),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/desk/dashboard.html", context)
