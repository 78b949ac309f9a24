"""The code another site pastes to show a chart or the map of the portal."""

from django import template

register = template.Library()


def _attribute(value: str) -> str:
    """Escaped for a double-quoted attribute, and no more: the reader copies it."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@register.simple_tag(takes_context=True)
def embed_snippet(context, figure) -> str:
    """An ``<iframe>`` of the figure's embed page, as text for the reader to copy
    (the template escapes it once more, so it shows exactly as typed)."""
    src = context["request"].build_absolute_uri(figure.embed_url)
    return (
        f'<iframe src="{_attribute(src)}" title="{_attribute(figure.title)}" '
        f'width="100%" height="{figure.embed_height}" loading="lazy"></iframe>'
    )
