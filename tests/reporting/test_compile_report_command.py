"""python manage.py compile_report, DESIGN.md's stable interface, and its exit codes."""

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from reporting import pdf
from reporting.models import ReportRun
from tests import factories
from tests.pdf import pdf_text

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def compile_report(*args: str) -> str:
    out = StringIO()
    call_command("compile_report", *args, stdout=out)
    return out.getvalue()


def test_twice_with_the_same_as_of_gives_the_same_text_and_pages(
    tmp_path, some_updates, cycle, mexico, focal_mex, reviewer
):
    as_of = timezone.now().isoformat()
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"

    said = compile_report("--output", str(first), "--as-of", as_of)
    # An update accepted after the as-of moment changes nothing.
    factories.progress_update(
        mexico, 2, author=focal_mex, reviewer=reviewer, cycle=cycle
    )
    compile_report("--output", str(second), "--as-of", as_of)

    assert pdf_text(first.read_bytes()) == pdf_text(second.read_bytes())
    pages = len(PdfReader(first).pages)
    assert pages == len(PdfReader(second).pages) > 10
    runs = list(ReportRun.objects.order_by("pk"))
    assert [run.page_count for run in runs] == [pages, pages]
    assert [run.requested_by for run in runs] == [None, None]
    assert runs[0].cycle == cycle and runs[0].language == "en"
    assert f"Wrote {first} ({pages} pages" in said
    assert runs[0].sha256 in said


def test_a_state_report_in_spanish_of_a_named_cycle(tmp_path, some_updates, cycle):
    output = tmp_path / "mexico.pdf"
    compile_report(
        "--output",
        str(output),
        "--cycle",
        cycle.slug,
        "--state",
        "mex",
        "--language",
        "es",
    )
    text = " ".join(pdf_text(output.read_bytes()).split())
    assert "México" in text
    run = ReportRun.objects.get()
    assert (run.member_state.iso3, run.language) == ("MEX", "es")


def test_the_final_edition_with_its_header_and_the_docx(tmp_path, some_updates):
    output, docx = tmp_path / "final.pdf", tmp_path / "final.docx"
    compile_report(
        "--output", str(output), "--final", "--docx", str(docx),
        "--classification", "OEA/Ser.K/XXXIX.8", "--symbol", "RTP-VIII/doc.3/26",
        "--issued-on", "2027-04-15", "--original-language", "es",
    )  # fmt: skip
    pages = pdf_text(output.read_bytes()).split("\f")
    assert "OEA/Ser.K/XXXIX.8" in pages[0] and "RTP-VIII/doc.3/26" in pages[0]
    # The mark is a line of its own; the instrument's title starts "DRAFT …".
    assert not any(re.search(r"^DRAFT$", page, re.MULTILINE) for page in pages)
    run = ReportRun.objects.get()
    assert run.final and run.document_symbol == "RTP-VIII/doc.3/26"
    assert docx.read_bytes()[:2] == b"PK"  # a Word document: a ZIP


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cycle", "no-such-cycle"], "No reporting cycle has the slug"),
        (["--state", "XYZ"], "No member state has the code"),
        (["--as-of", "yesterday"], "is not an ISO 8601 date and time"),
        (["--as-of", "2999-01-01T00:00:00Z"], "in the future"),
        (["--issued-on", "31/03/2027"], "is not a date"),
    ],
)
def test_bad_arguments_fail_with_a_message(tmp_path, args, message):
    output = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match=message):
        compile_report("--output", str(output), *args)
    assert not output.exists()
    assert not ReportRun.objects.exists()


def test_an_unknown_language_is_refused(tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'de'"):
        compile_report("--output", str(tmp_path / "r.pdf"), "--language", "de")


def test_an_output_folder_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        compile_report("--output", str(tmp_path / "missing" / "r.pdf"))


def test_no_open_cycle_and_none_given(tmp_path, cycle):
    cycle.is_open = False
    cycle.save(update_fields=["is_open"])
    with pytest.raises(CommandError, match="No reporting cycle is open"):
        compile_report("--output", str(tmp_path / "r.pdf"))


def test_a_failed_compile_is_recorded_and_writes_no_file(tmp_path, monkeypatch):
    def broken(html):
        raise RuntimeError("the page is too wide")

    monkeypatch.setattr(pdf, "layout", broken)
    output = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match="RuntimeError: the page is too wide"):
        compile_report("--output", str(output))
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []
    run = ReportRun.objects.get()
    assert (run.state, run.attempts, run.max_attempts) == ("failed", 1, 1)


def test_the_command_exits_non_zero_with_its_message():
    result = subprocess.run(
        [sys.executable, "manage.py", "compile_report", "--output", "/nonexistent/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "CommandError: The folder /nonexistent does not exist." in result.stderr
