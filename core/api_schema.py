"""The generator of the API's OpenAPI schema and its schema class (named in
SPECTACULAR_SETTINGS and REST_FRAMEWORK): the schema says what the server enforces,
so that a client, or schemathesis, can trust it both ways."""

from drf_spectacular import generators, openapi
from drf_spectacular.plumbing import is_list_serializer

from core.api import Ordering


class SchemaGenerator(generators.SchemaGenerator):
    """Walks the API's own URLconf, not the site's: the pages under ``/en/`` and the
    other languages are no API, and their language prefix makes drf-spectacular warn
    (in ``check --deploy`` too). The API's paths are the same either way."""

    def __init__(self, *args, urlconf=None, **kwargs) -> None:
        super().__init__(*args, urlconf=urlconf or "portal.api_urls", **kwargs)


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A nested list's bounds (``many=True, max_length=...``), which DRF checks
        and drf-spectacular leaves out, as ``maxItems`` and ``minItems``."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema and schema.get("type") == "integer":
            # A number read from text (reporting.api.QueryIntegerField) keeps its
            # text field's length, which means nothing for a number.
            schema.pop("minLength", None)
            schema.pop("maxLength", None)
        if is_list_serializer(field) and schema and schema.get("type") == "array":
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            minimum = field.min_length or (0 if field.allow_empty else 1)
            if minimum:
                schema["minItems"] = minimum
        return schema

    def _get_filter_parameters(self):
        """``ordering`` as what core.api.Ordering takes: one or more of the list's
        fields, each maybe with a leading -, separated by commas."""
        parameters = super()._get_filter_parameters()
        fields = getattr(self.view, "ordering_fields", None) or []
        for parameter in parameters:
            if parameter.get("name") == Ordering.ordering_param and fields:
                parameter["schema"] = {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [f"{sign}{f}" for f in fields for sign in ("", "-")],
                    },
                    "minItems": 1,
                }
                parameter["style"] = "form"
                parameter["explode"] = False
        return parameters


def document_retry_after(result, generator, request, public):
    """Every 429 answer (throttling, the sign-in lockout) says when to try again:
    the seconds in ``Retry-After`` (core.api.exception_handler,
    accounts.api)."""
    header = {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            throttled = operation.get("responses", {}).get("429")
            if throttled is not None:
                throttled.setdefault("headers", {})["Retry-After"] = header
    return result
