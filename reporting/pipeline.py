"""Compiling a report: data, charts, HTML, WeasyPrint's layout, the PDF, in stages.

``report_compile`` is the whole pipeline, with no database writes of its own: it tells
a callback where it stands (a stage and a percent), which the run lifecycle
(``reporting.runs``) turns into the progress bar and the heartbeat. Between the start
of the layout and the writing of the PDF, the percent follows the pages WeasyPrint
reports on its ``weasyprint.progress`` logger, read by a listener of each compile's
own. After the PDF, the same HTML becomes the editable DOCX (``reporting.docx``).
"""

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from django.utils import translation

from recommendations.models import MemberState, ReportingCycle
from reporting import pdf
from reporting.docx import html_to_docx
from reporting.models import ReportRun

Stage = ReportRun.Stage

# Where the bar stands as each stage starts; WeasyPrint's layout fills the gap.
STAGE_START = {
    Stage.GATHERING: 2,
    Stage.CHARTS: 15,
    Stage.RENDERING: 30,
    Stage.STORING: 96,
    Stage.DONE: 100,
}
LAYOUT_SPAN = (35, 85)
WRITING_PDF = 88
# Bytes of final HTML per page, to guess the page count while WeasyPrint lays out.
HTML_BYTES_PER_PAGE = 4000

ProgressCallback = Callable[[str, int], None]


class CompileCancelled(Exception):
    """Raised by a progress callback: nobody wants this compile's result any more."""


@dataclass
class CompiledReport:
    pdf: bytes
    page_count: int
    sha256: str
    html: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    docx: bytes | None = None  # the editable edition, for conference services


@dataclass
class PreparedReport:
    """The report's final HTML, before WeasyPrint."""

    html: str
    title: str
    language: str
    stage_seconds: dict[str, float] = field(default_factory=dict)


def report_prepare(
    *,
    cycle: ReportingCycle,
    language: str,
    member_state: MemberState | None = None,
    as_of: datetime,
    on_progress: ProgressCallback | None = None,
    generated_at: datetime | None = None,
    final: bool = False,
    header: pdf.DocumentHeader | None = None,
    texts_as_of: datetime | None = None,
) -> PreparedReport:
    """Read the data, draw the charts and render the HTML, telling ``on_progress``."""
    progress = on_progress or (lambda stage, percent: None)
    seconds: dict[str, float] = {}
    spec = pdf.ReportSpec(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        final=final,
        header=header or pdf.DocumentHeader(),
        texts_as_of=texts_as_of,
    )
    with translation.override(language):
        progress(Stage.GATHERING, STAGE_START[Stage.GATHERING])
        with _timed(seconds, Stage.GATHERING):
            data = pdf.gather(spec)
        progress(Stage.CHARTS, STAGE_START[Stage.CHARTS])
        with _timed(seconds, Stage.CHARTS):
            context = pdf.build(data, generated_at=generated_at)
        progress(Stage.RENDERING, STAGE_START[Stage.RENDERING])
        start = perf_counter()
        html = pdf.render_html(context)
        seconds[str(Stage.RENDERING)] = perf_counter() - start
    return PreparedReport(
        html=html, title=context["title"], language=language, stage_seconds=seconds
    )


def report_compile(
    *, on_progress: ProgressCallback | None = None, **report: Any
) -> CompiledReport:
    """Compile a report in stages, telling ``on_progress(stage, percent)`` as it goes.

    ``report`` is what ``report_prepare`` takes. The same data, as-of and language
    give the same text and page count. A callback that raises stops the compile
    there, except during the layout, where a CompileCancelled is left for the next
    stage to raise again.
    """
    progress = on_progress or (lambda stage, percent: None)
    prepared = report_prepare(on_progress=progress, **report)
    html, seconds = prepared.html, prepared.stage_seconds
    rendering = perf_counter() - seconds[str(Stage.RENDERING)]
    with translation.override(report["language"]):
        with layout_progress(progress, expected_pages=expected_pages(html)):
            document = pdf.layout(html)
        progress(Stage.RENDERING, WRITING_PDF)
        rendered = pdf.write(document)
        del document  # WeasyPrint's boxes go before the DOCX is built
        docx = html_to_docx(html)
    seconds[str(Stage.RENDERING)] = round(perf_counter() - rendering, 3)
    return CompiledReport(
        pdf=rendered.pdf,
        page_count=rendered.page_count,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        html=html,
        stage_seconds=seconds,
        docx=docx,
    )


def header_for(run: ReportRun) -> pdf.DocumentHeader:
    """The cover's document block, as the Secretariat entered it for the run."""
    return pdf.DocumentHeader(
        organ=run.organ,
        classification=run.classification,
        symbol=run.document_symbol,
        issued_on=run.issued_on,
        original_language=run.original_language,
    )


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = perf_counter()
    try:
        yield
    finally:
        seconds[str(stage)] = round(perf_counter() - start, 3)


def expected_pages(html: str) -> int:
    """A guess of the page count from the HTML's size, before WeasyPrint knows it."""
    return max(1, len(html.encode()) // HTML_BYTES_PER_PAGE)


# --- WeasyPrint's layout, page by page ----------------------------------------------

# WeasyPrint logs each page it lays out on this logger ("Step 5 - ... - Page 12").
PROGRESS_LOGGER = "weasyprint.progress"
_PAGE = re.compile(r"Creating layout - Page (\d+)")
# The logger is the process's: its handlers, level and propagation change together.
_logger_lock = threading.Lock()


class LayoutProgress(logging.Handler):
    """One compile's listener: turns WeasyPrint's page messages, from the compiling
    thread alone, into progress percents between the two ends of LAYOUT_SPAN."""

    def __init__(self, progress: ProgressCallback, expected_pages: int):
        super().__init__(logging.INFO)
        self.progress = progress
        self.expected = expected_pages
        self.thread = threading.get_ident()
        self.percent = LAYOUT_SPAN[0]
        # The logger's own level and propagation, put back by the last listener.
        self.saved: tuple[int, bool] = (logging.NOTSET, True)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return  # another compile, in another thread
        match = _PAGE.search(record.getMessage())
        if not match:
            return
        start, end = LAYOUT_SPAN
        share = min(0.98, int(match[1]) / self.expected)
        percent = start + int((end - start) * share)
        if percent > self.percent:
            self.percent = percent
            # A cancelled compile is stopped by the callback at the next stage.
            with suppress(CompileCancelled):
                self.progress(Stage.RENDERING, percent)


@contextmanager
def layout_progress(
    progress: ProgressCallback, *, expected_pages: int
) -> Iterator[LayoutProgress]:
    """Listen to WeasyPrint's page messages in this thread, without printing them.

    Listeners of compiles running at once in other threads live side by side; the
    logger's settings are put back when the last of them is removed.
    """
    logger = logging.getLogger(PROGRESS_LOGGER)
    handler = LayoutProgress(progress, expected_pages)
    with _logger_lock:
        others = _listeners(logger)
        if others:
            handler.saved = others[0].saved
        else:
            handler.saved = (logger.level, logger.propagate)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        with _logger_lock:
            logger.removeHandler(handler)
            if not _listeners(logger):
                level, propagate = handler.saved
                logger.setLevel(level)
                logger.propagate = propagate


def _listeners(logger: logging.Logger) -> list[LayoutProgress]:
    return [h for h in logger.handlers if isinstance(h, LayoutProgress)]
