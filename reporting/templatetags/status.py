from django import template

from reporting.labels import STATUS_SYMBOLS

register = template.Library()


@register.filter
def status_symbol(status: str) -> str:
    return STATUS_SYMBOLS.get(status, "")
