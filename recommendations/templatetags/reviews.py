"""The Secretariat's review on an update's pages."""

from django import template

from recommendations import selectors

register = template.Library()


@register.simple_tag
def latest_return(update):
    """``{% latest_return update as returned %}``: the Secretariat's latest return of
    the update, shown above it until it is accepted (``selectors.latest_return``)."""
    return selectors.latest_return(update)
