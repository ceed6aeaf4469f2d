"""Server-drawn SVG charts (articles/desk/charts.py): well-formed, labelled for screen readers, to scale, and
never a way for a topic or outlet name to inject markup."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from articles.desk.charts import Bar, Column, _scale_top, bar_chart, column_chart


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed


def days(values: list[int]) -> list[Column]:
    start = date(2026, 11, 1)
    return [Column(start + timedelta(days=n), value) for n, value in enumerate(values)]


def test_the_value_axis_ends_on_a_round_number():
    assert [_scale_top(n) for n in (1, 2, 3, 7, 10, 11, 23, 99, 101, 4000)] == [1, 2, 5, 10, 10, 20, 50, 100, 200, 5000]


def test_a_column_chart_is_labelled_and_to_scale():
    svg = parse(column_chart(days([0, 5, 10]), chart_id="c", title="Approvals", description="Per day"))

    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find("title").text == "Approvals" and svg.find("desc").text == "Per day"
    bars = svg.findall("g[@class='bar']")
    assert [bar.find("title").text for bar in bars] == [
        "Sun 1 Nov: 0 stories", "Mon 2 Nov: 5 stories", "Tue 3 Nov: 10 stories",
    ]  # fmt: skip
    heights = [float(bar.find("rect").get("height")) for bar in bars]
    assert heights[0] == 0 and heights[1] * 2 == heights[2] == 162  # the plot's full height
    axis = [text.text for text in svg.findall("text")]
    assert axis[:3] == ["0", "5", "10"] and axis[-1] == "3 Nov"  # the last column is always dated


def test_every_seventh_column_is_dated_from_the_last():
    svg = parse(column_chart(days([1] * 30), chart_id="c", title="t", description="d"))
    dates = [text.text for text in svg.findall("text") if " " in (text.text or "")]
    assert dates == ["2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"]


def test_a_bar_chart_draws_both_parts_with_links_and_whole_labels_in_tooltips():
    long_name = "Artificial Intelligence in Healthcare and Medicine"
    svg = parse(
        bar_chart(
            [Bar(long_name, 40, 10, "/admin/articles/article/?topic=3"), Bar("Robotics", 20, 20)],
            chart_id="b",
            title="Stories per topic",
            description="d",
            part_name="public",
        )
    )

    link = svg.find("a")
    assert link.get("href") == "/admin/articles/article/?topic=3"
    first = link.find("g")
    assert first.find("title").text == f"{long_name}: 40 stories, 10 public"
    assert first.find("text[@class='label']").text == "Artificial Intelligence…"
    whole, part = (float(first.find(f"rect[@class='{c}']").get("width")) for c in ("bar-whole", "bar-part"))
    assert part * 4 == whole
    second = svg.find("g[@class='bar-row']")  # no link: drawn as it is
    widths = [float(second.find(f"rect[@class='{c}']").get("width")) for c in ("bar-whole", "bar-part")]
    assert widths[0] == widths[1] == whole / 2
    assert second.find("text[@class='value']").text == "20 (20 public)"


def test_names_are_text_never_markup():
    svg = bar_chart(
        [Bar('<script>alert(1)</script>"&', 1, 0, '/admin/?" onclick="x')],
        chart_id="x",
        title="<b>t</b>",
        description="d",
        part_name="public",
    )
    assert "<script>" not in svg and "<b>" not in svg and 'onclick="x"' not in svg
    tree = parse(svg)
    assert tree.find("title").text == "<b>t</b>"
    assert tree.find("a/g/title").text.startswith('<script>alert(1)</script>"&')


def test_an_empty_bar_chart_says_so():
    svg = parse(bar_chart([], chart_id="e", title="t", description="d", part_name="public"))
    assert [text.text for text in svg.findall("text")] == ["Nothing yet"]
