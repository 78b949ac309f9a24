from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reporting.public_forms import SearchForm
from reporting.textsearch import excerpt, pieces

register = template.Library()


@register.simple_tag
def highlight(text, query: str, length: int = 0) -> SafeString:
    """``text`` escaped, each occurrence of ``query`` in a ``<mark>``; with
    ``length``, only an excerpt around the first one, cut with ellipses."""
    text = str(text)
    before = after = False
    if length:
        text, before, after = excerpt(text, query, length=length)
    # escape(), unlike conditional_escape(), escapes text marked safe too.
    html = "".join(
        f"<mark>{escape(piece.text)}</mark>" if piece.is_match else escape(piece.text)
        for piece in pieces(text, query)
    )
    ellipsis = escape(_("…"))
    return mark_safe(  # noqa: S308 - every piece is escaped above
        f"{ellipsis if before else ''}{html}{ellipsis if after else ''}"
    )


@register.inclusion_tag("reporting/public/search_form.html")
def search_box(form: SearchForm | None = None) -> dict:
    """The search form: blank, or as the reader sent it, with its errors."""
    return {"form": form or SearchForm()}
