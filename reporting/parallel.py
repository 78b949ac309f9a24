"""A hemispheric draft rendered in sections on several workers, merged into one PDF.

The report's HTML is cut at its part marks (``<!--report-part-->`` in the templates:
each chapter, each annex, each state profile of Annex A) into the front matter
(cover, credits, contents) and a few sections of about the same size. Each section is
laid out by WeasyPrint in a task of its own (``reporting.tasks``), which stores its
PDF and what the merge needs to know (its pages' sizes, the page of each anchor, its
bookmarks, its links to other sections) in the run's folder, never in the result
backend. The chord's callback then renders the front matter with the contents'
page numbers, merges the PDFs with pypdf, stamps the page footers ("Page X of Y",
the DRAFT mark) from three small WeasyPrint pages, links the contents and the
cross-section references to their pages, and builds the bookmarks. No DOCX: it
comes with the final edition.

Why drafts only: a merged PDF cannot stay a valid tagged PDF/UA-1. Each section's
structure tree (``/StructTreeRoot``, its ``/ParentTree`` keyed by the pages'
``/StructParents``, the ``/MCID`` marks in the content streams) numbers its own
marked content from zero; pypdf's ``PdfWriter.append`` keeps the pages, their
content and the named destinations but drops the catalog's ``/StructTreeRoot``,
``/MarkInfo`` and ``/Lang`` and the pages' ``/StructParents`` (bench/README.md shows
it), so the merged file would carry marked content that no structure tree describes.
Rebuilding one tree would mean renumbering every MCID in every content stream. The
published (final) edition is therefore the single-process PDF/UA render of
``reporting.pipeline``; drafts, which the Secretariat reads to check the figures, come
from the sections.
"""

import io
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from html import unescape
from pathlib import Path
from typing import cast

from django.conf import settings
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from weasyprint import HTML

from reporting import pdf

PART = "<!--report-part-->"
# HTML per section: about 30 pages, which keeps a worker's peak well under 300 MB
# and gives two workers enough sections to finish within a second of each other.
SECTION_BYTES = 120_000
# WeasyPrint lays out in CSS pixels; PDF speaks in points.
POINTS_PER_PX = 0.75
# The contents' numbers before they are known, as wide as the real ones.
PLACEHOLDER_PAGE = "000"
FOOTER_FORM = "/PortalFooter"

# Sections carry the running headers but no footers: page numbers are only known
# once every section is laid out, so the merge draws the footers on every page.
SECTION_PAGES = (
    "<style>@page { @top-left { content: %(title)s; }"
    " @bottom-center { content: none; } @bottom-left { content: none; } }"
    " @page :first { @top-left { content: %(title)s; }"
    " @top-right { content: string(chapter); } }</style>"
)
FRONT_PAGES = (
    "<style>@page { @bottom-center { content: none; } @bottom-left { content: none; } }"
    ' .toc a::after { content: leader(". ") attr(data-page); }</style>'
)
# The footers alone, on blank pages of the merged pages' sizes.
FOOTER_PAGES = (
    "<style>@page { @top-left { content: none; } @top-right { content: none; } }"
    " .footer-page { break-before: page; }</style>"
)


@dataclass
class ReportParts:
    """The report's HTML cut at its part marks."""

    head: str  # from the doctype to <body>, the stylesheet and footers included
    front: str  # cover, credits, contents
    parts: list[str]
    title: str
    language: str

    def document(self, body: str, style: str) -> str:
        return self.head.replace("</head>", style + "</head>", 1) + body + TAIL


TAIL = "\n</body>\n</html>\n"


def report_parts(html: str, *, title: str, language: str) -> ReportParts:
    head, body = html.split("<body>", 1)
    body = body.rsplit("</body>", 1)[0]
    front, *parts = body.split(PART)
    return ReportParts(
        head=head + "<body>",
        front=front,
        parts=parts,
        title=title,
        language=language,
    )


def sections(parts: list[str], *, size: int | None = None) -> list[str]:
    """Consecutive parts put together in sections of about ``size`` bytes each
    (SECTION_BYTES by default)."""
    size = size or SECTION_BYTES
    total = sum(len(part) for part in parts)
    count = max(1, round(total / size))
    target = total / count
    grouped: list[str] = []
    current: list[str]
    current, length = [], 0
    for part in parts:
        if current and length + len(part) / 2 > target * (len(grouped) + 1):
            grouped.append("".join(current))
            current = []
        current.append(part)
        length += len(part)
    grouped.append("".join(current))
    return grouped


def section_html(parts: ReportParts, body: str) -> str:
    return parts.document(body, SECTION_PAGES % {"title": pdf.css_string(parts.title)})


def front_html(parts: ReportParts, numbers: dict[str, int] | None = None) -> str:
    """The cover, credits and contents; the contents' numbers given, or placeholders
    as wide as them (to count the front matter's pages before the numbers are known)."""

    def numbered(match: re.Match) -> str:
        number = PLACEHOLDER_PAGE if numbers is None else numbers.get(match[1], "")
        return f'{match[0]} data-page="{number}"'

    return parts.document(
        re.sub(r'<a href="#([^"]+)"', numbered, parts.front), FRONT_PAGES
    )


def footer_html(parts: ReportParts, landscape: list[bool]) -> str:
    pages = "".join(
        '<div class="footer-page overview">&nbsp;</div>'
        if wide
        else '<div class="footer-page">&nbsp;</div>'
        for wide in landscape
    )
    return parts.document(pages, FOOTER_PAGES)


# --- One section ------------------------------------------------------------------


@dataclass
class RenderedSection:
    """What the merge needs of a section laid out alone."""

    sizes: list[tuple[float, float]]  # each page's width and height, CSS px
    anchors: dict[str, tuple[int, float, float]]  # name: page index, x, y
    bookmarks: list[tuple[int, int, str, float, float]]  # page, level, label, x, y
    # Links whose anchor is in another section: page, anchor, rectangle.
    links: list[tuple[int, str, tuple[float, float, float, float]]] = field(
        default_factory=list
    )
    cpu_seconds: float = 0.0  # the render's, steadier than its wall time

    @property
    def page_count(self) -> int:
        return len(self.sizes)


class _ElsewhereFilter(logging.Filter):
    """A section's links to the other sections are not errors: the merge draws them.
    WeasyPrint logs each as one; this keeps them out of the section's thread's log."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.thread in self.threads and record.msg.startswith("No anchor #%s")
        )


_elsewhere = _ElsewhereFilter()
logging.getLogger("weasyprint").addFilter(_elsewhere)


def render_section(html: str) -> tuple[bytes, RenderedSection]:
    """Lay out and write one section, untagged (tags could not survive the merge)."""
    thread = threading.get_ident()
    _elsewhere.threads.add(thread)
    try:
        cpu = time.process_time()
        document = HTML(
            string=html,
            base_url=pdf.STATIC_ROOT_URL,
            url_fetcher=pdf.StaticFilesFetcher(),
        ).render()
        data, rendered = document.write_pdf(), _what_the_merge_needs(document)
        rendered.cpu_seconds = round(time.process_time() - cpu, 3)
        return data, rendered
    finally:
        _elsewhere.threads.discard(thread)


def _what_the_merge_needs(document) -> RenderedSection:
    rendered = RenderedSection(sizes=[], anchors={}, bookmarks=[])
    for index, page in enumerate(document.pages):
        rendered.sizes.append((page.width, page.height))
        for name, (x, y, *_size) in page.anchors.items():
            rendered.anchors.setdefault(name, (index, x, y))
        for level, label, (x, y), _state in page.bookmarks:
            rendered.bookmarks.append((index, level, label, x, y))
    for index, page in enumerate(document.pages):
        for kind, target, rectangle, _box in page.links:
            if kind == "internal" and target not in rendered.anchors:
                rendered.links.append((index, target, tuple(rectangle)))
    return rendered


# --- The run's folder ---------------------------------------------------------------


def folder(run_id: int, attempt: int) -> Path:
    """Where an attempt's sections live, on the media volume every worker shares."""
    return Path(settings.MEDIA_ROOT) / "report-sections" / str(run_id) / str(attempt)


def forget(run_id: int) -> None:
    shutil.rmtree(folder(run_id, 0).parent, ignore_errors=True)


def write_atomically(path: Path, data: bytes) -> None:
    """A reader (the merge, a retried section) sees the whole file or none of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(path)


def store_section(where: Path, index: int, rendered: bytes, meta: RenderedSection):
    write_atomically(where / f"{index}.pdf", rendered)
    write_atomically(where / f"{index}.json", json.dumps(asdict(meta)).encode())


def stored_section(where: Path, index: int) -> RenderedSection | None:
    try:
        meta = json.loads((where / f"{index}.json").read_text())
    except FileNotFoundError:
        return None
    return RenderedSection(
        sizes=[tuple(size) for size in meta["sizes"]],
        anchors={name: tuple(place) for name, place in meta["anchors"].items()},
        bookmarks=[tuple(mark) for mark in meta["bookmarks"]],
        links=[(page, name, tuple(rect)) for page, name, rect in meta["links"]],
        cpu_seconds=meta["cpu_seconds"],
    )


def sections_done(where: Path) -> int:
    return sum(1 for path in where.glob("*.json") if path.stem.isdigit())


# --- The merge ----------------------------------------------------------------------


@dataclass
class _Place:
    page: int  # in the merged PDF, from 0
    x: float
    y: float


def merge(
    parts: ReportParts,
    rendered: list[tuple[bytes, RenderedSection]],
    *,
    front_pages: int | None = None,
) -> pdf.RenderedPdf:
    """One PDF from the sections, in order, behind the front matter.

    ``front_pages`` is the front matter's page count, if a section task counted it;
    the front matter is laid out again until its count and the numbers agree.
    """
    front_bytes, front = _front(parts, rendered, front_pages)
    documents = [(front_bytes, front), *rendered]
    places: dict[str, _Place] = {}
    offsets, offset = [], 0
    for _data, section in documents:
        offsets.append(offset)
        for name, (index, x, y) in section.anchors.items():
            places.setdefault(name, _Place(offset + index, x, y))
        offset += section.page_count
    sizes = [size for _data, section in documents for size in section.sizes]

    writer = PdfWriter()
    for data, _section in documents:
        writer.append(PdfReader(io.BytesIO(data)), import_outline=False)
    _draw_footers(writer, parts, sizes)
    for (_data, section), start in zip(documents, offsets, strict=True):
        for index, target, rectangle in section.links:
            if target in places:
                _link(writer, start + index, rectangle, places[target], sizes)
    _outline(writer, documents, offsets, sizes)
    title = re.search(r"<title>(.*?)</title>", parts.head, re.DOTALL)
    writer.add_metadata({"/Title": unescape(title[1]) if title else parts.title})
    writer._root_object[NameObject("/Lang")] = TextStringObject(parts.language)
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return pdf.RenderedPdf(pdf=out.getvalue(), page_count=len(sizes))


def _front(
    parts: ReportParts,
    rendered: list[tuple[bytes, RenderedSection]],
    front_pages: int | None,
) -> tuple[bytes, RenderedSection]:
    if front_pages is None:
        front_pages = render_section(front_html(parts))[1].page_count
    numbers: dict[str, int]
    for _try in range(3):
        numbers, offset = {}, front_pages
        for _data, section in rendered:
            for name, (index, _x, _y) in section.anchors.items():
                numbers.setdefault(name, offset + index + 1)
            offset += section.page_count
        data, front = render_section(front_html(parts, numbers))
        if front.page_count == front_pages:
            return data, front
        front_pages = front.page_count
    raise RuntimeError("The contents' page count never settled")


def _pdf_rect(rectangle, height_px: float) -> ArrayObject:
    x0, y0, x1, y1 = rectangle
    return ArrayObject(
        FloatObject(round(value * POINTS_PER_PX, 2))
        for value in (x0, height_px - y1, x1, height_px - y0)
    )


def _destination(writer: PdfWriter, place: _Place, sizes) -> ArrayObject:
    height = sizes[place.page][1]
    return ArrayObject(
        [
            writer.pages[place.page].indirect_reference,
            NameObject("/XYZ"),
            FloatObject(round(place.x * POINTS_PER_PX, 2)),
            FloatObject(round((height - place.y) * POINTS_PER_PX, 2)),
            NumberObject(0),
        ]
    )


def _link(writer: PdfWriter, page: int, rectangle, place: _Place, sizes) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): _pdf_rect(rectangle, sizes[page][1]),
            NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
            NameObject("/Dest"): _destination(writer, place, sizes),
        }
    )
    target = writer.pages[page]
    if "/Annots" not in target:
        target[NameObject("/Annots")] = ArrayObject()
    cast(ArrayObject, target["/Annots"]).append(writer._add_object(annotation))


def _outline(writer: PdfWriter, documents, offsets, sizes) -> None:
    """Bookmarks for every heading, nested by level, as WeasyPrint makes them."""
    parents: list[tuple[int, IndirectObject]] = []  # (level, outline item), open chain
    for (_data, section), start in zip(documents, offsets, strict=True):
        for index, level, label, x, y in section.bookmarks:
            while parents and parents[-1][0] >= level:
                parents.pop()
            height = sizes[start + index][1]
            item = writer.add_outline_item(
                title=label,
                page_number=start + index,
                parent=parents[-1][1] if parents else None,
                fit=Fit.xyz(
                    left=round(x * POINTS_PER_PX, 2),
                    top=round((height - y) * POINTS_PER_PX, 2),
                    zoom=0,
                ),
            )
            parents.append((level, item))


def _draw_footers(writer: PdfWriter, parts: ReportParts, sizes) -> None:
    """Each page's footer laid over it as a form: the footers' font and place are
    the single-process render's. Stamped from three small pages where they can be
    (milliseconds); laid out page by page by WeasyPrint otherwise (2 s a full
    report)."""
    landscape = [width > height for width, height in sizes]
    footers = _stamped_footers(parts, landscape) or _laid_out_footers(parts, landscape)
    if len(footers) != len(writer.pages):
        raise RuntimeError("The footers do not match the pages")
    resources = {}
    for page, (content, source) in zip(writer.pages, footers, strict=True):
        if id(source) not in resources:
            resources[id(source)] = writer._add_object(
                source["/Resources"].clone(writer)
            )
        _stamp(writer, page, content, source.mediabox, resources[id(source)])


def _footers_pdf(parts: ReportParts, landscape: list[bool], head: str) -> PdfReader:
    html = footer_html(
        ReportParts(head=head, front="", parts=[], title="", language=""), landscape
    )
    return PdfReader(
        io.BytesIO(
            HTML(
                string=html,
                base_url=pdf.STATIC_ROOT_URL,
                url_fetcher=pdf.StaticFilesFetcher(),
            )
            .render()
            .write_pdf()
        )
    )


def _laid_out_footers(parts: ReportParts, landscape: list[bool]):
    footers = _footers_pdf(parts, landscape, parts.head)
    # WeasyPrint's pages always have contents.
    return [
        (cast(ContentStream, page.get_contents()).get_data(), page)
        for page in footers.pages
    ]


SAMPLE_NUMBER = "0123456789"


def _stamped_footers(parts: ReportParts, landscape: list[bool]):
    """The footers of every page from three WeasyPrint pages (the first page's, a
    portrait's, a landscape's) whose footer reads "Page 0123456789 of N": each page's
    number is written with the sample's glyphs, centred again by their widths, so
    that every digit's glyph is in the embedded font. None where the sample is not
    as expected (digits shaped otherwise): WeasyPrint lays the footers out then."""
    total = f'"{len(landscape)}"'
    head = parts.head.replace("counter(pages)", total).replace(
        "counter(page)", f'"{SAMPLE_NUMBER}"'
    )
    sample = _footers_pdf(parts, [landscape[0], False, True], head)
    first, *templates = sample.pages
    stamps = []
    for template in templates:
        stamp = _number_stamp(template)
        if stamp is None:
            return None
        stamps.append(stamp)
    footers = [(cast(ContentStream, first.get_contents()).get_data(), first)]
    for number, wide in enumerate(landscape[1:], start=2):
        write, template = stamps[wide], templates[wide]
        footers.append((write(str(number)), template))
    return footers


def _number_stamp(page):
    """A function writing this sample page's footer with another number, or None."""
    content = page.get_contents().get_data()
    glyphs, widths, name = None, None, None
    for font_name, font in page["/Resources"]["/Font"].items():
        font = font.get_object()
        codes = _glyphs(font)
        if all(digit in codes for digit in SAMPLE_NUMBER):
            glyphs, widths, name = codes, _widths(font), font_name
    if glyphs is None:
        return None
    digits = [b"<%s>" % glyphs[digit].encode() for digit in SAMPLE_NUMBER]
    # The sample's digits in its TJ array, with the kerning between them.
    span = re.compile(b"(?:-?[0-9.]+)?".join(re.escape(digit) for digit in digits))
    text = re.compile(
        rb"(1 0 0 -1 )([0-9.]+)( [0-9.]+ Tm\s*%s [0-9.]+ Tf\s*\[)([^\]]*)\]"
        % re.escape(name.encode())
    )
    block = text.search(content)
    if block is None or len(span.findall(block[4])) != 1:
        return None
    size = float(re.search(rb" ([0-9.]+) Tf", block[3])[1])
    kerning = sum(
        float(k) for k in re.findall(rb">(-?[0-9.]+)<", span.search(block[4])[0])
    )
    sample_width = sum(widths[glyphs[d]] for d in SAMPLE_NUMBER) - kerning

    def write(number: str) -> bytes:
        width = sum(widths[glyphs[digit]] for digit in number)
        x = float(block[2]) + (sample_width - width) * size / 2000
        array = span.sub(
            b"".join(b"<%s>" % glyphs[digit].encode() for digit in number), block[4]
        )
        line = block[1] + b"%.6f" % x + block[3] + array + b"]"
        return content[: block.start()] + line + content[block.end() :]

    return write


def _glyphs(font) -> dict[str, str]:
    """Character to glyph code (hex), from the font's ToUnicode map."""
    if "/ToUnicode" not in font:
        return {}
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {
        chr(int(unicode, 16)): code
        for code, unicode in re.findall(r"<([0-9a-fA-F]{4})> <([0-9a-fA-F]{4})>", cmap)
    }


def _widths(font) -> dict[str, float]:
    """Glyph code (hex) to advance width, in thousandths of the font size."""
    described = font["/DescendantFonts"][0].get_object()
    widths, entries, index = {}, list(described.get("/W", [])), 0
    while index < len(entries):
        first, second = entries[index], entries[index + 1]
        if isinstance(second, list):
            for offset, width in enumerate(second):
                widths[f"{first + offset:04x}"] = float(width)
            index += 2
        else:
            for code in range(first, second + 1):
                widths[f"{code:04x}"] = float(entries[index + 2])
            index += 3
    return widths


def _stamp(writer: PdfWriter, page, content: bytes, box, resources) -> None:
    """Lay ``content`` over ``page`` as a form XObject, wrapped between the page's
    own: pypdf's ``merge_page`` would parse every content stream, which costs
    seconds on a full report."""
    form = DecodedStreamObject()
    form.set_data(content)
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(value) for value in box),
            NameObject("/Resources"): resources,
        }
    )
    own_resources = DictionaryObject(page["/Resources"].get_object())
    xobjects = DictionaryObject(own_resources.get("/XObject", DictionaryObject()))
    xobjects[NameObject(FOOTER_FORM)] = writer._add_object(form)
    own_resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = own_resources
    contents = page["/Contents"]
    own = (
        list(contents.get_object())
        if isinstance(contents.get_object(), ArrayObject)
        else [contents]
    )
    page[NameObject("/Contents")] = ArrayObject(
        [
            writer._add_object(_stream(b"q\n")),
            *own,
            writer._add_object(_stream(b"\nQ q %s Do Q\n" % FOOTER_FORM.encode())),
        ]
    )


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
