"""`{% planned_result_list cl %}`: Django's `{% result_list cl %}` with the rows written by articles/admin/rows.py."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from articles.admin.rows import result_list

register = template.Library()


@register.tag(name="planned_result_list")
def planned_result_list_tag(parser, token):
    return InclusionAdminNode(
        "planned_result_list",
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
