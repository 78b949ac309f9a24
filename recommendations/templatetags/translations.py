"""Catalogue texts on a page: in the reader's language, marked for what they are."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def lang_attr(translation) -> str:
    """` lang="en"` on an element whose text is not in the page's language."""
    if translation.language == (get_language() or "en")[:2]:
        return ""
    return format_html(' lang="{}"', translation.language)


@register.simple_tag(takes_context=True)
def standing_mark(context, translation) -> str:
    """A dagger after a working translation, explained by the page's note. Not a
    link: the text it follows is often a link itself."""
    if not translation.is_working:
        return ""
    request = context.get("request")
    if request is not None:
        request.shows_working_translation = True
    return format_html(
        '<sup class="standing-mark"><span aria-hidden="true">†</span>'
        '<span class="visually-hidden"> ({})</span></sup>',
        _("working translation"),
    )


@register.simple_tag(takes_context=True)
def catalogue_text(context, translation) -> str:
    """The text, in a ``lang`` span when it is not in the page's language, and marked
    when it is a working translation."""
    text = format_html("{}", translation.text)
    if translation.language != (get_language() or "en")[:2]:
        text = format_html('<span lang="{}">{}</span>', translation.language, text)
    return format_html("{}{}", text, standing_mark(context, translation))


@register.simple_tag(takes_context=True)
def recommendation_title(context, recommendation) -> str:
    """The number and short title, as in "4. National action plans", in the reader's
    language and marked like any catalogue text; the number alone without a title."""
    title = recommendation.translated.short_title
    if not title.text:
        return str(recommendation.number)
    return format_html("{}. {}", recommendation.number, catalogue_text(context, title))
