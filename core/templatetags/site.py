from datetime import date, datetime

from django import template
from django.urls import translate_url
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
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


@register.filter(expects_localtime=True)
def iso_datetime(value: date | datetime | None) -> str:
    """A valid ``<time datetime>``: HTML allows at most three fractional digits of a
    second, so whole seconds, with the offset of the zone the page shows."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


@register.filter(expects_localtime=True)
def moment(value: datetime | None):
    """A moment as people read it, labelled with the zone it is shown in: the zone
    the page shows times in, or the one given with Django's ``timezone`` filter."""
    if value is None or value == "":
        return ""
    zone = getattr(value.tzinfo, "key", None) or timezone.get_current_timezone_name()
    return format_html(
        '<time datetime="{}">{}</time> ({})',
        iso_datetime(value),
        date_format(value, "DATETIME_FORMAT"),
        zone,
    )
