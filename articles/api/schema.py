"""What the OpenAPI schema says that drf-spectacular cannot infer from the code: each filter parameter's exact
format (so that clients, and schemathesis, know which values the API refuses) and the shape of a 400."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from articles.filters import API_PARAMETERS, PERIOD_CHOICES, ArticleFilter
from articles.limits import INT_MAX, INT_MIN

# Query values are form fields underneath: never empty (that would be "any" on a page, an error here), no NUL.
TEXT = {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"}
DAY = {"type": "string", "format": "date"}
PARAMETER_SCHEMAS = {
    "topic": TEXT,
    "provider": TEXT,
    "period": {"type": "string", "enum": [value for value, _ in PERIOD_CHOICES]},
    "published_after": DAY,
    "published_before": DAY,
    "quality_min": {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX},
    "type": {**TEXT, "maxLength": 50},
}
assert set(PARAMETER_SCHEMAS) == set(API_PARAMETERS), "every API filter needs its schema here"


def filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            name, PARAMETER_SCHEMAS[name], description=str(ArticleFilter.base_filters[name].extra.get("help_text", ""))
        )
        for name in API_PARAMETERS
    ]


INVALID_PARAMETERS = OpenApiResponse(
    {
        "oneOf": [
            {
                "type": "object",
                "description": "Each invalid parameter by name, with what is wrong with its value.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "minProperties": 1,
            },
            {
                "type": "object",
                "description": "An unusable address: a NUL or a lone surrogate in its path or a parameter's name.",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
                "additionalProperties": False,
            },
        ]
    },
    description="Invalid query parameters (a filter, `page` or `page_size`), each named; or an unusable address.",
)

NOT_FOUND = OpenApiResponse(
    inline_serializer("Error", fields={"detail": serializers.CharField()}),
    description="No such item or page (unpublished stories do not exist here).",
)
