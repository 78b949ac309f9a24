from django import template

from portal.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return render_markdown(text)


@register.simple_tag
def coverage_cell(coverage, state, recommendation) -> str:
    return coverage.cell(state, recommendation)
