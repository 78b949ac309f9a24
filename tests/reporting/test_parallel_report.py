"""A hemispheric draft rendered in sections and merged (``reporting.parallel``).

The small report of two accepted updates is cut in sections of a few kilobytes, so
that it has several, each on a page boundary the single render also has. The merged
PDF is read back as a reader would: its footers (pdftotext, page by page), its
contents, its links and its bookmarks (pypdf). The final edition stays the tagged
single-process render. A section whose worker process is killed is rendered again,
and only that section.
"""

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import translation
from pypdf import PdfReader

from reporting import parallel, pdf, services
from reporting.models import ReportRun
from tests.celery_support import celery_using, database_url

ROOT = Path(__file__).resolve().parents[2]
State = ReportRun.State


def page_texts(data: bytes, tmp_path: Path) -> list[str]:
    """Each page's text, as pdftotext reads it."""
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text.split("\f")[: len(PdfReader(io.BytesIO(data)).pages)]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def in_sections(settings, monkeypatch):
    settings.REPORT_PARALLEL_DRAFTS = True
    monkeypatch.setattr(parallel, "SECTION_BYTES", 20_000)


@pytest.fixture
def draft(
    in_sections, cycle, some_updates, reviewer, django_capture_on_commit_callbacks
) -> tuple[ReportRun, bytes]:
    # The Secretariat asks for a draft; the tasks run eagerly, as in the suite.
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_request(actor=reviewer, cycle=cycle, language="en")
    run.refresh_from_db()
    return run, Path(run.pdf.path).read_bytes()


@pytest.mark.django_db
def test_a_draft_is_merged_from_several_sections(draft, settings):
    run, data = draft
    assert run.state == State.SUCCEEDED
    assert run.stage_seconds["merging"] > 0
    assert run.page_count == len(PdfReader(io.BytesIO(data)).pages) > 10
    assert run.stage_seconds["section_cpu_max"] < run.stage_seconds["sections_cpu"]
    # No DOCX with a draft in sections: it comes with the final edition.
    assert not run.docx
    # The sections' folder goes once the PDF is stored.
    assert not (Path(settings.MEDIA_ROOT) / "report-sections" / str(run.pk)).exists()


@pytest.mark.django_db
def test_a_draft_in_sections_offers_no_docx_and_says_why(draft, client, reviewer):
    run, _data = draft
    client.force_login(reviewer)
    page = client.get(run.get_absolute_url()).content.decode()
    assert f"/en/reports/runs/{run.pk}/docx/" not in page
    assert "The Word edition comes with the final edition." in page
    assert client.get(f"/en/reports/runs/{run.pk}/docx/").status_code == 404
    status = client.get(f"/en/reports/runs/{run.pk}/status/").json()
    assert status["download_url"] and status["docx_url"] is None


@pytest.mark.django_db
def test_the_merged_pages_are_numbered_continuously(draft, tmp_path):
    run, data = draft
    pages = page_texts(data, tmp_path)
    assert "Page 1 of" not in pages[0]  # the cover has no number
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {run.page_count}" in text, number
    assert all("DRAFT" in text for text in pages)


def contents_entries(pages: list[str]) -> list[tuple[str, int]]:
    """The contents' lines: a title, dot leaders, its page number."""
    start = next(i for i, text in enumerate(pages) if "Contents" in text)
    entries = []
    for text in pages[start : start + 3]:
        for line in text.splitlines():
            match = re.match(r"\s*(\S.*?)\s*(?:\. ?){3,}\s*(\d+)\s*$", line)
            if match:
                entries.append((match[1], int(match[2])))
    return entries


@pytest.mark.django_db
def test_the_contents_numbers_are_the_pages_of_the_headings(draft, tmp_path):
    _run, data = draft
    pages = page_texts(data, tmp_path)
    entries = contents_entries(pages)
    assert len(entries) > 20
    titles = [title for title, _number in entries]
    assert "Executive summary" in titles
    assert "Annex A. Profiles of the member states that reported" in titles
    for title, number in entries:
        assert words(title)[:30] in words(pages[number - 1]), (title, number)


@pytest.mark.django_db
def test_each_contents_link_leads_to_its_heading(draft, tmp_path):
    _run, data = draft
    reader = PdfReader(io.BytesIO(data))
    pages = page_texts(data, tmp_path)
    entries = dict(contents_entries(pages))
    contents = next(i for i, text in enumerate(pages) if "Contents" in text)
    links = [
        annotation.get_object()
        for index in range(contents, contents + 3)
        for annotation in reader.pages[index].get("/Annots", [])
        if annotation.get_object().get("/Subtype") == "/Link"
    ]
    assert len(links) >= len(entries)
    numbers = set()
    for link in links:
        target = reader.get_page_number(link["/Dest"][0].get_object())
        numbers.add(target + 1)
    # Every page the contents names is the target of its link, and no link is lost.
    assert set(entries.values()) <= numbers


@pytest.mark.django_db
def test_every_heading_is_a_bookmark_to_its_page(draft, tmp_path):
    _run, data = draft
    reader = PdfReader(io.BytesIO(data))
    pages = page_texts(data, tmp_path)

    def flatten(items):
        for item in items:
            if isinstance(item, list):
                yield from flatten(item)
            else:
                yield item

    marks = list(flatten(reader.outline))
    titles = [mark.title for mark in marks]
    for heading in (
        "Contents",
        "Executive summary",
        "Methodology",
        "Annex A. Profiles of the member states that reported",
        "Annex D. Acronyms",
        "About this report",
        "Brazil",
        "Mexico",
    ):
        assert heading in titles
    for mark in marks:
        page = reader.get_destination_page_number(mark)
        assert words(mark.title)[:30] in words(pages[page]), mark.title
    # The state profiles sit under Annex A, as in the single render.
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Annex A. Profiles of the member states that reported" in top
    assert "Mexico" not in top


@pytest.mark.parametrize("language", ["en", "es", "fr", "pt"])
def test_the_stamped_footers_are_the_ones_weasyprint_lays_out(language):
    # The merge writes each page's number with the glyphs of a sample footer; a
    # reader sees the same footer, in the same place, as WeasyPrint's own.
    with translation.override(language):
        head = (
            f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<link rel="stylesheet" href="{pdf.STATIC_ROOT_URL}{pdf.STYLESHEET}">'
            f"<style>@page {{ @bottom-center {{ content: {pdf.page_of_content()}; }}"
            ' @bottom-left { content: "DRAFT"; } }</style></head><body>'
        )
    parts = parallel.ReportParts(
        head=head, front="", parts=[], title="", language=language
    )
    landscape = [False] * 120
    landscape[9] = landscape[100] = True
    stamped = parallel._stamped_footers(parts, landscape)
    laid_out = parallel._laid_out_footers(parts, landscape)
    assert stamped is not None and len(stamped) == len(laid_out)
    text = re.compile(rb"1 0 0 -1 ([0-9.]+) ([0-9.]+) Tm\s*/\w+ [0-9.]+ Tf\s*\[(.*?)\]")
    for index, ((ours, _page), (theirs, _source)) in enumerate(
        zip(stamped, laid_out, strict=True)
    ):
        ours, theirs = text.findall(ours), text.findall(theirs)
        # DRAFT on every page, the number on every page but the cover.
        assert len(ours) == len(theirs) == (1 if index == 0 else 2)
        for (x, y, glyphs), (their_x, their_y, their_glyphs) in zip(
            ours, theirs, strict=True
        ):
            assert abs(float(x) - float(their_x)) < 0.05 and y == their_y
            kerning = rb"-?[0-9.]+(?=<|$)"
            assert re.sub(kerning, b"", glyphs) == re.sub(kerning, b"", their_glyphs)


@pytest.mark.django_db
def test_the_published_edition_is_still_one_tagged_render(
    in_sections, cycle, some_updates
):
    run = services.report_run_compile_now(cycle=cycle, language="en", final=True)
    reader = PdfReader(run.pdf.path)
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert "merging" not in run.stage_seconds
    assert run.docx  # the editable edition comes with the final one


@pytest.mark.django_db
def test_the_compile_command_compiles_a_draft_in_one_piece(
    in_sections, cycle, some_updates
):
    # compile_report runs where no worker may be listening.
    run = services.report_run_compile_now(cycle=cycle, language="en")
    assert run.state == State.SUCCEEDED
    assert "merging" not in run.stage_seconds
    assert run.docx


@pytest.mark.django_db
def test_a_state_report_is_one_render(in_sections, cycle, some_updates, mexico):
    run = services.report_run_compile_now(
        cycle=cycle, language="en", member_state=mexico
    )
    assert "merging" not in run.stage_seconds
    assert "/StructTreeRoot" in PdfReader(run.pdf.path).trailer["/Root"]


# --- A worker killed in the middle of a section -------------------------------------

# A worker whose section renders say when they start and end, and take a while: the
# test kills the pool process in the middle of one.
WORKER = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
import django
django.setup()
from reporting import parallel
parallel.SECTION_BYTES = 20_000  # several sections of the small report
render = parallel.render_section
def logged(html):
    with open(os.environ["SECTION_LOG"], "a") as log:
        print("start", len(html), os.getpid(), file=log, flush=True)
    time.sleep(1)
    rendered = render(html)
    with open(os.environ["SECTION_LOG"], "a") as log:
        print("done", len(html), os.getpid(), file=log, flush=True)
    return rendered
parallel.render_section = logged
from portal.celery import app
app.worker_main(["worker", *sys.argv[1:]])
"""


def log_lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line]


def wait_for(condition, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_section_whose_worker_died_is_rendered_again_alone(
    own_redis, report_queue, reviewer, cycle, some_updates, tmp_path
):
    log = tmp_path / "sections.log"
    backend = own_redis.url[: -len("/0")] + "/1"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": own_redis.url,
        "CELERY_RESULT_BACKEND": backend,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "REPORTS_QUEUE": report_queue,
        "REPORT_PARALLEL_DRAFTS": "1",
        "SECTION_LOG": str(log),
    }
    output = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            *(sys.executable, "-c", WORKER),
            *("-Q", report_queue, "-P", "prefork", "-c", "1", "-l", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        with celery_using(own_redis.url, result_backend=backend):
            # Given a draft rendered in sections, a section in the middle of its render
            run = services.report_run_request(
                actor=reviewer, cycle=cycle, language="en"
            )
            started = wait_for(
                lambda: [line for line in log_lines(log) if line[0] == "start"][1:]
            )
            _start, killed, pid = started[0]

            # When the pool process rendering it dies without a word
            os.kill(int(pid), signal.SIGKILL)

            # Then the chord still completes, and the draft is stored, the bar moving
            # forward as the sections are done
            seen = []

            def finished() -> bool:
                run.refresh_from_db()
                seen.append(run.progress)
                return run.is_finished

            wait_for(finished)
            assert run.state == State.SUCCEEDED, run.error
            assert seen == sorted(seen)
            assert len({p for p in seen if 35 < p < 88}) > 1
            assert run.attempts == 1
        renders = [size for step, size, _pid in log_lines(log) if step == "start"]
        # ... having rendered that section twice, and every other section once.
        assert renders.count(killed) == 2
        assert all(renders.count(size) == 1 for size in renders if size != killed)
        assert len(set(renders)) > 3
    finally:
        worker.kill()
        worker.wait(10)
        output.close()
