"""Template filters of the editors' desk (admin pages only)."""

from django import template

from articles.admin.display import moment as format_moment
from articles.admin.upstream import display_value

register = template.Library()


@register.filter
def thousands(value) -> str:
    """12345 -> "12,345" (django.contrib.humanize is not installed for one filter)."""
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def moment(value) -> str:
    """The admin's one date-and-time format (articles.admin.display.moment)."""
    return format_moment(value)


@register.filter
def old_value(change) -> str:
    """A FieldChange's value when the editor reviewed the article, readable (articles.admin.upstream)."""
    return display_value(change.field, change.old)


@register.filter
def new_value(change) -> str:
    return display_value(change.field, change.new)
