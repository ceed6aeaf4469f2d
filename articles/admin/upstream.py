"""What changed upstream since an editor's review, as the admin shows it: in the change list (a label, with the
old and new values on hover), in the article form and in review mode (templates/admin/desk/_changes.html)."""

from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from articles.admin.display import moment
from articles.desk.upstream import FieldChange

HOVER_CHARS = 120  # a value longer than this is cut in the change list's tooltip


def display_value(field: str, value) -> str:
    """A recorded value as an editor reads it: times in the admin's format, yes/no, "(none)"."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "published_at" and isinstance(value, str):
        parsed = parse_datetime(value)
        return moment(parsed) if parsed else value
    if field == "related":
        return f"{value} {'entry' if value == 1 else 'entries'}"
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= HOVER_CHARS else text[: HOVER_CHARS - 1] + "…"


def hover_text(changes: list[FieldChange]) -> str:
    """One line per field, "title: “old” → “new”", for a title attribute."""
    return "\n".join(
        f"{c.label}: “{_short(display_value(c.field, c.old))}” → “{_short(display_value(c.field, c.new))}”"
        for c in changes
    )


def change_label(changes: list[FieldChange]) -> str:
    """The change list's label: which fields changed, the values on hover."""
    return format_html(
        '<span class="desk-changed" title="{}">Changed upstream: {}</span>',
        hover_text(changes),
        ", ".join(c.label for c in changes),
    )


def change_table(changes: list[FieldChange]) -> str:
    """Field, old value and new value, for the article form."""
    if not changes:
        return ""
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
        ((c.label, display_value(c.field, c.old), display_value(c.field, c.new)) for c in changes),
    )
    return format_html(
        '<table class="desk-changes"><thead><tr><th scope="col">Field</th><th scope="col">When reviewed</th>'
        '<th scope="col">Now</th></tr></thead><tbody>{}</tbody></table>',
        rows,
    )
