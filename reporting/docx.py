"""The report as an editable Word document (DOCX), for the conference services.

``html_to_docx`` takes the report's HTML exactly as rendered for the PDF
(``pdf.render_html``) and returns a DOCX of the same edition: chapter and section
headings in Word's Heading 1 to 4 styles, real Word tables, the Secretariat's Markdown
footnotes as Word footnotes, lists as Word lists, each chart as a PNG picture whose
description is the chart's text alternative, the cover's title and subtitle in Word's
Title and Subtitle styles, a "DRAFT" page header while the edition carries the draft
mark, and the edition's language as the document's.

The route: pandoc, shipped by ``pypandoc-binary`` (the wheel bundles the pandoc
executable, so it works offline and on every machine that installs the project). Its
HTML reader and DOCX writer already map headings, tables, lists, definition lists,
footnotes, internal links (the contents) and per-span languages onto Word's own
structures and styles; walking the HTML with python-docx would mean writing all of
that again, numbering definitions and footnote parts included. What pandoc does not
do is done around it:

1. Before pandoc (lxml): each inline SVG chart becomes a PNG (CairoSVG, with no
   access to files or the network) in an ``<img>`` whose ``alt`` is the chart's
   ``<title>`` and ``<desc>``; the footnotes of markdown-it's footnote plugin (a
   ``sup.footnote-ref`` link to an ``li.footnote-item``) become markers that step 2
   turns into real footnotes; the cover's title and subtitle get Word styles.
2. Pandoc reads the HTML into its document tree (JSON), which is edited here (the
   markers become ``Note`` elements; the page title is moved from the body's title
   block to the document properties), then writes the DOCX, sandboxed: it reads no
   file and fetches nothing (the pictures are ``data:`` addresses).
3. After pandoc, the DOCX's parts are edited: each chapter (Heading 1) starts a new
   page, the draft edition gets a "DRAFT" header, the pictures' descriptions are the
   charts' text alternatives, the title and author enter the document properties.

The contents stay the PDF's list, each entry a link to its heading's bookmark (Word's
own TOC field would need Word to update it before it shows anything). CairoSVG needs
the system's libcairo2 (Debian's package), imported only when a chart is drawn.

Same HTML, same bytes: pandoc takes its timestamps from ``SOURCE_DATE_EPOCH`` (set to
the HTML's ``dcterms.created``, else to 0), its part and picture names are
deterministic, and the archive is written again with fixed entry dates.
"""

import base64
import html as html_lib
import io
import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import datetime

import lxml.html
from lxml import etree
from pypandoc import get_pandoc_path

# The widths of the PDF's charts (report.css: .chart-compact, .chart-wide).
CHART_WIDTH = {"chart-compact": "75mm", "chart-wide": "150mm"}
DEFAULT_CHART_WIDTH = "150mm"
# Pixels per CSS pixel in the charts' pictures: sharp in print at their widths.
CHART_SCALE = 3
PANDOC_TIMEOUT = 600  # seconds; a full-scale report takes a few

PICTURE_PREFIX = "docx-chart-"
NOTE_REF = "docx-note-ref"
NOTE_BODY = "docx-note-body"
PAGE_BREAK = "docx-page-break"
PAGE_BREAK_XML = '<w:p><w:r><w:br w:type="page" /></w:r></w:p>'
DRAFT_CLASS = re.compile(r"\bdraft\b|draft-", re.IGNORECASE)
# The draft's page mark in the report's own style: @bottom-left { content: "DRAFT"; }
_MARGIN_MARK = re.compile(
    r'@(?:top|bottom)-(?:left|center|right)\s*\{\s*content:\s*("(?:[^"\\]|\\.)*")\s*[;}]'
)
_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL | re.IGNORECASE)
_SVG_NS = "{http://www.w3.org/2000/svg}"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
)
HEADER_RELATIONSHIP = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
)
HEADER_ID = "rIdDraftHeader"


@dataclass(frozen=True)
class _Properties:
    """What the HTML says about itself, for the DOCX's own properties."""

    language: str
    title: str
    author: str
    created: datetime | None
    draft: str  # the draft mark's text; "" in a final edition


def html_to_docx(html: str) -> bytes:
    """The report's HTML (as rendered for the PDF) as a DOCX of the same edition."""
    pictures: dict[str, str] = {}
    html = _charts_as_pictures(html, pictures)
    document = lxml.html.document_fromstring(html)
    properties = _properties(document)
    _prepare(document)
    tree = _pandoc_tree(lxml.html.tostring(document, encoding="unicode"))
    _edit_tree(tree, properties, pictures)
    docx = _pandoc_docx(tree, properties)
    return _finish(docx, properties)


# --- 1. The HTML, ready for pandoc --------------------------------------------------


def _charts_as_pictures(html: str, pictures: dict[str, str]) -> str:
    """Each inline SVG chart as a PNG ``<img>``, its text alternative as ``alt``.

    Done on the text before any HTML parser lowercases SVG's attributes (viewBox).
    The charts are ``reporting.charts``' own markup: well-formed XML.
    """
    return _SVG.sub(lambda match: _picture(match.group(0), pictures), html)


def _picture(svg: str, pictures: dict[str, str]) -> str:
    """An ``<img>`` whose source names the picture in ``pictures`` (its ``data:``
    address, put in pandoc's tree after reading: pandoc reads long ones slowly)."""
    root = etree.fromstring(svg.encode(), etree.XMLParser(resolve_entities=False))
    alt = root.get("aria-label") or _text_alternative(root)
    # The chart's natural size (its viewBox), not the 100% it takes on a page.
    view_box = (root.get("viewBox") or "").split()
    if len(view_box) == 4:
        root.set("width", view_box[2])
        root.set("height", view_box[3])
    # Imported here: CairoSVG loads the system's libcairo when imported, and only the
    # report worker needs it, not every process that imports the pipeline.
    import cairosvg

    png = cairosvg.svg2png(
        bytestring=etree.tostring(root),
        scale=CHART_SCALE,
        background_color="white",
        # unsafe=False (the default): no entities, nothing fetched but data: URLs.
    )
    name = f"{PICTURE_PREFIX}{len(pictures) + 1}.png"
    pictures[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f'<img class="docx-chart" src="{name}" alt="{html_lib.escape(alt)}">'


def _text_alternative(svg) -> str:
    """The chart's ``<title>``, then its ``<desc>`` unless the title already says it:
    what ``aria-labelledby`` gives a screen reader, once."""
    parts: list[str] = []
    for name in ("title", "desc"):
        element = svg.find(f"{_SVG_NS}{name}")
        if element is None:
            continue
        text = " ".join("".join(element.itertext()).split())
        if text and not any(text in part for part in parts):
            parts.append(text)
    if len(parts) == 2 and not parts[0].endswith((".", ":", "!", "?")):
        parts[0] += "."
    return " ".join(parts)


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


def _properties(document) -> _Properties:
    def meta(name: str) -> str:
        found = document.xpath(f'//meta[@name="{name}"]/@content')
        return str(found[0]).strip() if found else ""

    created = None
    if meta("dcterms.created"):
        try:
            created = datetime.fromisoformat(meta("dcterms.created"))
        except ValueError:
            created = None
    title = document.find(".//title")
    # Helper markup of the draft edition: an element of class "…draft…" (the cover's
    # note); the word of its page mark is the one the stylesheet prints in a margin.
    draft = ""
    if any(
        isinstance(element.tag, str)
        and any(DRAFT_CLASS.search(name) for name in _classes(element))
        for element in document.iter()
    ):
        style = " ".join(s.text_content() for s in document.iter("style"))
        mark = _MARGIN_MARK.search(style)
        draft = _css_string(mark.group(1)) if mark else "DRAFT"
    return _Properties(
        language=(document.get("lang") or "en").strip(),
        title=" ".join(title.text_content().split()) if title is not None else "",
        author=meta("author"),
        created=created,
        draft=draft,
    )


def _css_string(quoted: str) -> str:
    """The text of a CSS string such as ``"DRAFT"``; escapes as ``pdf.css_string``."""
    text = quoted[1:-1]
    text = re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\(.)", r"\1", text)


def _prepare(document) -> None:
    """Footnotes as markers, the cover's styles, the charts' widths."""
    for element in document.xpath("//link|//style|//script"):
        element.drop_tree()
    _footnotes(document)
    _new_pages(document)
    for element in document.xpath("//p[contains(@class, 'cover-')]"):
        style = {"cover-title": "Title", "cover-subtitle": "Subtitle"}
        for name in _classes(element):
            if name in style:
                wrapper = element.makeelement("div", {"data-custom-style": style[name]})
                element.addprevious(wrapper)
                wrapper.append(element)
    for picture in document.xpath("//img[@class='docx-chart']"):
        width = DEFAULT_CHART_WIDTH
        for ancestor in picture.iterancestors():
            found = [CHART_WIDTH[c] for c in _classes(ancestor) if c in CHART_WIDTH]
            if found:
                width = found[0]
                break
        picture.set("width", width)


def _new_pages(document) -> None:
    """A part of the body that is not a chapter (the credits) starts a page too, as
    in the PDF; a chapter's Heading 1 starts its own (step 3)."""
    blocks = [child for child in document.body if isinstance(child.tag, str)]
    for block in blocks[1:]:
        first = next((c for c in block if isinstance(c.tag, str)), None)
        if block.tag in ("section", "nav") and (first is None or first.tag != "h1"):
            block.addprevious(block.makeelement("div", {"class": PAGE_BREAK}))


def _footnotes(document) -> None:
    """markdown-it's footnotes as markers: a reference and the note it points to.

    A note (``li.footnote-item``) moves to the end of the body as a marked ``div``
    (its back link dropped); each reference to it (``sup.footnote-ref``) becomes a
    marked ``span``. ``_edit_tree`` makes a Word footnote of each pair.
    """
    body = document.body
    notes = {}
    for item in document.xpath("//li[contains(@class, 'footnote-item')][@id]"):
        for back in item.xpath(".//a[contains(@class, 'footnote-backref')]"):
            back.drop_tree()
        note = item.makeelement("div", {"class": NOTE_BODY, "id": item.get("id")})
        note.text = item.text
        for child in list(item):
            note.append(child)
        notes[item.get("id")] = note
        item.drop_tree()
    for reference in document.xpath("//sup[contains(@class, 'footnote-ref')]"):
        link = reference.find(".//a")
        target = (link.get("href") or "").lstrip("#") if link is not None else ""
        if target not in notes:
            continue
        marker = reference.makeelement("span", {"class": NOTE_REF, "data-note": target})
        marker.text = reference.text_content()
        marker.tail = reference.tail
        reference.getparent().replace(reference, marker)
    for element in document.xpath(
        "//hr[contains(@class, 'footnotes-sep')]"
        "|//ol[contains(@class, 'footnotes-list')]"
    ):
        element.drop_tree()
    for section in document.xpath("//section[contains(@class, 'footnotes')]"):
        if not "".join(section.itertext()).strip():
            section.drop_tree()
    for note in notes.values():
        body.append(note)


# --- 2. Pandoc ----------------------------------------------------------------------


def _pandoc(arguments: list[str], source: bytes, epoch: int = 0) -> bytes:
    result = subprocess.run(  # noqa: S603 - the bundled pandoc, fixed arguments
        [get_pandoc_path(), "--sandbox", *arguments],
        input=source,
        capture_output=True,
        check=False,
        timeout=PANDOC_TIMEOUT,
        env={"SOURCE_DATE_EPOCH": str(epoch), "LANG": "C.UTF-8"},
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"pandoc failed ({result.returncode}): {result.stderr.decode()[-2000:]}"
        )
    return result.stdout


def _pandoc_tree(html: str) -> dict:
    return json.loads(_pandoc(["--from=html", "--to=json"], html.encode()))


def _edit_tree(tree: dict, properties: _Properties, pictures: dict[str, str]) -> None:
    """Footnote markers as Word footnotes, page breaks; the title out of the body."""
    notes: dict[str, list] = {}

    def collect(blocks: list) -> list:
        kept = []
        for block in blocks:
            if block.get("t") == "Div" and NOTE_BODY in block["c"][0][1]:
                notes[block["c"][0][0]] = block["c"][1]
                continue
            kept.append(block)
        return kept

    tree["blocks"] = collect(tree["blocks"])
    _walk(
        tree["blocks"],
        lambda node: (
            _note(node, notes) or _page_break(node) or _picture_data(node, pictures)
        ),
    )
    meta = tree.setdefault("meta", {})
    # Pandoc would print these as a title block above the cover; step 3 puts them
    # in the document's properties instead.
    for key in ("title", "author", "date", "subtitle"):
        meta.pop(key, None)
    meta["lang"] = {"t": "MetaInlines", "c": [{"t": "Str", "c": properties.language}]}


def _note(node: dict, notes: dict[str, list]) -> dict | None:
    if node.get("t") != "Span":
        return None
    (_, classes, attributes), _ = node["c"]
    if NOTE_REF not in classes:
        return None
    target = dict(attributes).get("note", "")
    if target not in notes:
        return None
    return {"t": "Note", "c": notes[target]}


def _picture_data(node: dict, pictures: dict[str, str]) -> dict | None:
    if node.get("t") == "Image" and node["c"][2][0] in pictures:
        attributes, alt, (source, title) = node["c"]
        return {"t": "Image", "c": [attributes, alt, [pictures[source], title]]}
    return None


def _page_break(node: dict) -> dict | None:
    if node.get("t") == "Div" and PAGE_BREAK in node["c"][0][1]:
        return {"t": "RawBlock", "c": ["openxml", PAGE_BREAK_XML]}
    return None


def _walk(value, replace) -> None:
    """Replace, depth first, every node of pandoc's tree for which ``replace`` says."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict) and "t" in item:
                replacement = replace(item)
                if replacement is not None:
                    value[index] = item = replacement
            _walk(item, replace)
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, list | dict):
                _walk(item, replace)


def _pandoc_docx(tree: dict, properties: _Properties) -> bytes:
    epoch = int(properties.created.timestamp()) if properties.created else 0
    return _pandoc(
        ["--from=json", "--to=docx", "--output=-"],
        json.dumps(tree).encode(),
        epoch=max(0, epoch),
    )


# --- 3. The DOCX's parts ------------------------------------------------------------


def _finish(docx: bytes, properties: _Properties) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["word/styles.xml"] = _chapters_on_new_pages(parts["word/styles.xml"])
    parts["word/document.xml"] = _picture_descriptions(parts["word/document.xml"])
    parts["docProps/core.xml"] = _core_properties(
        parts["docProps/core.xml"], properties
    )
    if properties.draft:
        _draft_header(parts, properties.draft)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            target.writestr(info, content)
    return output.getvalue()


def _chapters_on_new_pages(styles: bytes) -> bytes:
    """Heading 1 (the cover's end, each chapter, each annex) starts a new page."""
    return re.sub(
        rb'(<w:style w:styleId="Heading1" w:type="paragraph">.*?<w:pPr>)',
        rb"\1<w:pageBreakBefore />",
        styles,
        count=1,
        flags=re.DOTALL,
    )


def _picture_descriptions(document: bytes) -> bytes:
    """A picture's own description is its text alternative, not its data address."""

    def describe(match: re.Match) -> bytes:
        drawing = match.group(0)
        alt = re.search(rb'<wp:docPr descr="([^"]*)"', drawing)
        return re.sub(
            rb'(<pic:cNvPr descr=")[^"]*(")',
            lambda m: m.group(1) + (alt.group(1) if alt else b"") + m.group(2),
            drawing,
        )

    return re.sub(rb"<w:drawing>.*?</w:drawing>", describe, document, flags=re.DOTALL)


def _core_properties(core: bytes, properties: _Properties) -> bytes:
    root = etree.fromstring(core)
    dc = "{http://purl.org/dc/elements/1.1/}"
    for name, value in (("title", properties.title), ("creator", properties.author)):
        element = root.find(f"{dc}{name}")
        if element is None:
            element = etree.SubElement(root, f"{dc}{name}")
        element.text = value
    language = root.find(f"{dc}language")
    if language is None:
        language = etree.SubElement(root, f"{dc}language")
    language.text = properties.language
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _draft_header(parts: dict[str, bytes], text: str) -> None:
    """A "DRAFT" header on every page, as the PDF's draft edition has its mark."""
    escaped = html_lib.escape(text).encode()
    parts["word/header1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:hdr xmlns:w="' + W.encode() + b'"><w:p><w:pPr><w:pStyle w:val="Header"/>'
        b'<w:jc w:val="right"/></w:pPr><w:r><w:rPr><w:b/><w:color w:val="B00020"/>'
        b'<w:sz w:val="28"/></w:rPr><w:t xml:space="preserve">'
        + escaped
        + b"</w:t></w:r></w:p></w:hdr>"
    )
    parts["word/_rels/document.xml.rels"] = parts[
        "word/_rels/document.xml.rels"
    ].replace(
        b"</Relationships>",
        b'<Relationship Type="'
        + HEADER_RELATIONSHIP.encode()
        + b'" Id="'
        + HEADER_ID.encode()
        + b'" Target="header1.xml" /></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/word/header1.xml" ContentType="'
        + HEADER_TYPE.encode()
        + b'" /></Types>',
    )
    reference = (
        b'<w:headerReference xmlns:r="'
        + R.encode()
        + b'" w:type="default" r:id="'
        + HEADER_ID.encode()
        + b'" />'
    )
    document = parts["word/document.xml"]
    # The body's last section properties; the header reference comes first in them.
    start = document.rfind(b"<w:sectPr")
    if start < 0:
        document = document.replace(
            b"</w:body>", b"<w:sectPr>" + reference + b"</w:sectPr></w:body>"
        )
    else:
        end = document.index(b">", start) + 1
        if document[end - 2 : end] == b"/>":
            document = (
                document[: end - 2] + b">" + reference + b"</w:sectPr>" + document[end:]
            )
        else:
            document = document[:end] + reference + document[end:]
    parts["word/document.xml"] = document
