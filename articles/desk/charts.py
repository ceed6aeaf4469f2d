"""Charts drawn on the server as inline SVG: no script, nothing fetched, fine under the Content-Security-Policy.

Each chart is an `<svg role="img">` with a title and a description for screen readers, a `<title>` per bar
(the browser's tooltip) and, where a bar leads somewhere, a link. Colours come from the admin's stylesheet
(static/desk/desk.css) through class names, so the dark theme applies; no inline style (the CSP forbids it).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
LABEL_CHARS = 24  # bar labels longer than this are cut (the tooltip and the data table have them whole)


@dataclass(frozen=True, slots=True)
class Column:
    day: date
    value: int
    href: str = ""


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    part: int  # drawn over the bar from its start (e.g. the public share)
    href: str = ""


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _scale_top(largest: int) -> int:
    """A round top for the value axis: 1, 2 or 5 times a power of ten, at least `largest`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= largest:
                return step * factor
        step *= 10


def _linked(href: str, inner: SafeString) -> SafeString:
    return format_html('<a href="{}">{}</a>', href, inner) if href else inner


def _frame(chart_id: str, title: str, description: str, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="desk-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        body,
    )


def column_chart(
    columns: Sequence[Column], *, chart_id: str, title: str, description: str, unit: str = "stories"
) -> SafeString:
    """One column per day, oldest on the left; a date under every seventh column, counted back from the last."""
    height, top, bottom, left, right = 200, 12, 26, 40, 8
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    peak = _scale_top(max((c.value for c in columns), default=0) or 1)
    slot = plot_width / max(len(columns), 1)
    parts = []
    for value in (0, peak // 2, peak) if peak > 1 else (0, peak):
        y = top + plot_height - plot_height * value / peak
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                WIDTH - right,
                _n(y),
                _n(y),
                left - 6,
                _n(y + 4),
                value,
            )
        )
    for n, column in enumerate(columns):
        x = left + n * slot
        bar_height = plot_height * column.value / peak
        label = f"{column.day:%a %-d %b}: {column.value} {unit}"
        rect = format_html(
            '<g class="bar"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}"></rect></g>',
            label,
            _n(x + 1),
            _n(top + plot_height - bar_height),
            _n(max(slot - 2, 1)),
            _n(bar_height),
        )
        parts.append(_linked(column.href, rect))
        if (len(columns) - 1 - n) % 7 == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x + slot / 2),
                    height - 8,
                    f"{column.day:%-d %b}",
                )
            )
    return _frame(chart_id, title, description, height, format_html_join("", "{}", ((p,) for p in parts)))


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, description: str, part_name: str) -> SafeString:
    """One horizontal bar per row, largest first as given, its `part` drawn over it and both numbers at its end."""
    row, top, label_width, value_width = 24, 4, 190, 110
    height = top * 2 + row * max(len(bars), 1)
    plot_width = WIDTH - label_width - value_width
    peak = max((bar.value for bar in bars), default=0) or 1
    parts = []
    for n, bar in enumerate(bars):
        y = top + n * row
        short = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
        whole, part = plot_width * bar.value / peak, plot_width * bar.part / peak
        parts.append(
            _linked(
                bar.href,
                format_html(
                    '<g class="bar-row"><title>{}: {} stories, {} {}</title>'
                    '<text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
                    '<rect class="bar-whole" x="{}" y="{}" width="{}" height="{}"></rect>'
                    '<rect class="bar-part" x="{}" y="{}" width="{}" height="{}"></rect>'
                    '<text class="value" x="{}" y="{}">{} ({} {})</text></g>',
                    bar.label,
                    bar.value,
                    bar.part,
                    part_name,
                    label_width - 8,
                    y + 16,
                    short,
                    label_width,
                    y + 4,
                    _n(max(whole, 1)),
                    row - 8,
                    label_width,
                    y + 4,
                    _n(part),
                    row - 8,
                    _n(label_width + whole + 6),
                    y + 16,
                    bar.value,
                    bar.part,
                    part_name,
                ),
            )
        )
    if not bars:
        parts.append(format_html('<text class="axis" x="{}" y="{}">Nothing yet</text>', label_width, top + 16))
    return _frame(chart_id, title, description, height, format_html_join("", "{}", ((p,) for p in parts)))
