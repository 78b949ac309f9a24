"""Markdown written by users (narratives, report texts), made safe to show.

Two renderers: ``render_markdown`` for narratives (no headings, no tables: a
narrative sits inside a page's outline and must not break it) and
``render_document_markdown`` for the Secretariat's texts of the report, which are
chapters of a document: headings that enter its contents, pipe tables, footnotes.
Both read raw HTML in the source as text and pass their output through nh3.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

# No headings: a narrative sits inside a page's outline and must not break it.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"


@cache
def _parser() -> MarkdownIt:
    # Raw HTML in the source is shown as text, never interpreted.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str) -> SafeString:
    html = _parser().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


# --- The report's texts: a chapter of a document ------------------------------------

# Exactly what the document renderer produces, and nothing a writer could add.
DOCUMENT_TAGS = ALLOWED_TAGS | {
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "sup", "section",
}  # fmt: skip
DOCUMENT_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "ol": {"start"},
    "li": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
# Column alignment as a class (no style attributes reach the page); the footnotes'
# classes, for the stylesheet.
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
DOCUMENT_CLASSES = {
    "th": ALIGN_CLASSES,
    "td": ALIGN_CLASSES,
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
}
# A text's headings sit under its chapter's h1: "#" is h2, "##" h3, deeper ones h4.
HEADING_SHIFT = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4"}
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")


@dataclass(frozen=True)
class RenderedDocument:
    """A text as sanitised HTML, and its headings (level 2..4, element id, text)."""

    html: SafeString
    headings: list[tuple[int, str, str]] = field(default_factory=list)


@cache
def _document_parser() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .disable("image")
        .use(footnote_plugin)
    )
    # Footnote anchors carry the text's prefix, so two texts never share an id.
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("footnote_open", _footnote_open)
    md.add_render_rule("footnote_anchor", _footnote_anchor)
    return md


def render_document_markdown(text: str, *, id_prefix: str) -> RenderedDocument:
    """A text of the report as a chapter: headings with ids, tables, footnotes.

    ``id_prefix`` starts every id (headings, footnotes and their back links), so the
    introduction and the conclusions may both have a "Scope" heading or a note 1.
    """
    prefix = _slug(id_prefix) or "text"
    md = _document_parser()
    env: dict = {"id_prefix": prefix}
    tokens = md.parse(text or "", env)
    headings = _number_headings(tokens, prefix)
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            _align_as_class(token)
    html = md.renderer.render(tokens, md.options, env)
    clean = nh3.clean(
        html,
        tags=DOCUMENT_TAGS,
        attributes=DOCUMENT_ATTRIBUTES,
        allowed_classes=DOCUMENT_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        id_prefix=f"{prefix}-",  # already there; a guard should an id ever lack it
    )
    return RenderedDocument(html=mark_safe(clean), headings=headings)  # noqa: S308


def _number_headings(tokens: list[Token], prefix: str) -> list[tuple[int, str, str]]:
    headings = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        token.tag = HEADING_SHIFT[token.tag]
        if token.type == "heading_close":
            continue
        inline = tokens[index + 1]
        title = _plain(inline).strip()
        base = f"{prefix}-{_slug(title) or 'section'}"
        ident, n = base, 1
        while ident in used:
            n += 1
            ident = f"{base}-{n}"
        used.add(ident)
        token.attrSet("id", ident)
        headings.append((int(token.tag[1]), ident, title))
    return headings


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _slug(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def _align_as_class(token: Token) -> None:
    style = token.attrGet("style")
    if style is None:
        return
    del token.attrs["style"]
    match = _ALIGN.search(str(style))
    if match:
        token.attrSet("class", f"align-{match[1]}")


def _note_id(token: Token, env: dict, kind: str) -> str:
    ident = f"{env['id_prefix']}-{kind}{token.meta['id'] + 1}"
    sub = token.meta.get("subId", -1)
    return f"{ident}-{sub}" if sub > 0 else ident


def _footnote_ref(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    number = token.meta["id"] + 1
    note = f"{env['id_prefix']}-fn{number}"
    back = _note_id(token, env, "fnref")
    return f'<sup class="footnote-ref"><a href="#{note}" id="{back}">{number}</a></sup>'


def _footnote_open(self, tokens, idx, options, env) -> str:
    return f'<li id="{_note_id(tokens[idx], env, "fn")}" class="footnote-item">'


def _footnote_anchor(self, tokens, idx, options, env) -> str:
    back = _note_id(tokens[idx], env, "fnref")
    return f' <a href="#{back}" class="footnote-backref">\u21a9\ufe0e</a>'
