from django import template
from django.urls import translate_url
from django.utils.formats import number_format
from django.utils.translation import pgettext

from core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.simple_tag
def coverage_cell(coverage, state, recommendation) -> str:
    return coverage.cell(state, recommendation)


@register.filter
def lookup(mapping, key):
    return mapping.get(key, "")


@register.filter
def percent(share: float) -> str:
    """A share as a whole percentage, written the way the active language writes it."""
    return pgettext("percentage", "%(value)s%%") % {
        "value": number_format(round(share * 100))
    }


@register.simple_tag(takes_context=True)
def translated_path(context, language: str) -> str:
    """This page in another language: the language is part of every address."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)
