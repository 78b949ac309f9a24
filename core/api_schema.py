"""The generator of the API's OpenAPI schema (named in SPECTACULAR_SETTINGS)."""

from drf_spectacular import generators


class SchemaGenerator(generators.SchemaGenerator):
    """Walks the API's own URLconf, not the site's: the pages under ``/en/`` and the
    other languages are no API, and their language prefix makes drf-spectacular warn
    (in ``check --deploy`` too). The API's paths are the same either way."""

    def __init__(self, *args, urlconf=None, **kwargs) -> None:
        super().__init__(*args, urlconf=urlconf or "portal.api_urls", **kwargs)
