"""Each bad file gets a clear message, a 400 rather than a 500, and changes nothing."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations.models import ProgressUpdate, UpdateEvent
from tests import factories
from tests.spreadsheets import download, row_of, to_file, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(client, focal_mex, mexico):
    """Maria signed in, with a draft on recommendation 3 that must not change."""
    factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="The draft as it was."
    )
    client.force_login(focal_mex)
    return focal_mex


def nothing_changed() -> None:
    assert list(
        ProgressUpdate.objects.values_list("recommendation__number", "summary")
    ) == [(3, "The draft as it was.")]
    assert UpdateEvent.objects.count() == 1  # its creation


def refused(response) -> str:
    assert response.status_code == 400
    html = response.content.decode()
    assert "The questionnaire was not saved" in html
    nothing_changed()
    return html


def fill_valid_row(workbook, number: int = 5) -> None:
    sheet = workbook["Questionnaire"]
    row = row_of(sheet, number)
    sheet.cell(row=row, column=6, value="Planned")
    sheet.cell(row=row, column=7, value="A valid row, not saved with a bad one.")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("questionnaire.xlsx", b"this is not a spreadsheet"),
        ("questionnaire.csv", b"Recommendation,Status\n3,Planned\n"),
        ("questionnaire.xlsx", b"PK\x03\x04 a truncated zip"),
        ("empty.xlsx", b""),
    ],
)
def test_a_malformed_file(client, maria, name, data):
    response = upload(client, SimpleUploadedFile(name, data))
    if data:
        html = refused(response)
        assert "could not be read as an Excel workbook (.xlsx)" in html
    else:
        # An empty file is refused by the form itself.
        assert response.status_code == 400
        nothing_changed()


def test_a_zip_that_is_not_a_workbook(client, maria):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    response = upload(client, SimpleUploadedFile("q.xlsx", buffer.getvalue()))
    assert "could not be read as an Excel workbook" in refused(response)


def test_a_workbook_that_is_not_the_questionnaire(client, maria):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Recommendation", "Status"])
    workbook.active.append([3, "Planned"])
    html = refused(upload(client, to_file(workbook)))
    assert "This workbook is not a questionnaire downloaded from the portal" in html


def test_a_file_that_unzips_to_far_more_than_the_limit(client, maria, settings):
    settings.QUESTIONNAIRE_MAX_BYTES = 20_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 5_000_000)
    assert len(buffer.getvalue()) < 20_000
    html = refused(upload(client, SimpleUploadedFile("bomb.xlsx", buffer.getvalue())))
    assert "could not be read as an Excel workbook" in html


def test_a_wrong_states_file(client, maria, focal_bra):
    client.force_login(focal_bra)
    brazil = download(client, "BRA")
    fill_valid_row(brazil)
    client.force_login(maria)
    html = refused(upload(client, to_file(brazil)))
    assert "This questionnaire is for Brazil, not for Mexico." in html


def test_a_file_with_its_identity_altered_to_another_cycle(client, maria):
    workbook = download(client)
    identity = workbook["portal"]
    for row in identity.iter_rows():
        if row[0].value == "cycle":
            row[1].value = "seventh-meeting"
    fill_valid_row(workbook)
    html = refused(upload(client, to_file(workbook)))
    assert "downloaded for another reporting cycle" in html


def test_an_unknown_status(client, maria):
    workbook = download(client)
    fill_valid_row(workbook, 5)
    sheet = workbook["Questionnaire"]
    row = row_of(sheet, 7)
    sheet.cell(row=row, column=6, value="Partly done")
    sheet.cell(row=row, column=7, value="Some summary.")
    html = refused(upload(client, to_file(workbook)))
    # The error says where: sheet, row and column, and what is allowed.
    assert "<td>Questionnaire</td>" in html
    assert f"<td>{row}</td>" in html
    assert "<td>F (Status)</td>" in html
    assert (
        "“Partly done” is not one of the allowed values: Not started; Planned" in html
    )


def test_a_row_for_recommendation_23(client, maria):
    workbook = download(client)
    fill_valid_row(workbook)
    sheet = workbook["Questionnaire"]
    sheet.append([23, None, None, None, None, "Planned", "A twenty-third one."])
    html = refused(upload(client, to_file(workbook)))
    assert f"<td>{sheet.max_row}</td>" in html and "<td>A (Recommendation)</td>" in html
    assert "There is no recommendation 23 for a state to report on" in html


def test_a_row_for_recommendation_22_which_is_the_secretariats(client, maria):
    workbook = download(client)
    workbook["Measures"].append([22, "Training", "A course"])
    html = refused(upload(client, to_file(workbook)))
    assert "There is no recommendation 22 for a state to report on" in html
    assert "<td>Measures</td>" in html


def test_a_file_over_the_size_limit(client, maria, settings):
    workbook = download(client)
    fill_valid_row(workbook)
    file = to_file(workbook)
    settings.QUESTIONNAIRE_MAX_BYTES = file.size - 1
    html = refused(upload(client, file))
    assert "the questionnaire may be at most" in html


def test_every_problem_is_listed_at_once(client, maria):
    workbook = download(client)
    sheet = workbook["Questionnaire"]
    row = row_of(sheet, 10)
    sheet.cell(row=row, column=7, value="x" * 401)  # no status, and too long
    sheet.cell(row=row, column=10, value="Everyone")
    measures = workbook["Measures"]
    measures.append([10, "Rocket", "", "yesterday", "not a link"])
    html = refused(upload(client, to_file(workbook)))
    for text in [
        "<td>F (Status)</td>",
        "At most 400 characters; this cell has 401.",
        "<td>J (Who may read the narrative)</td>",
        "“Rocket” is not one of the allowed values",
        "<td>C (Title)</td>",
        "Write a date, for example 2026-05-01.",
        "Write a full web address",
    ]:
        assert text in html, text


def test_duplicate_rows_for_one_recommendation(client, maria):
    workbook = download(client)
    sheet = workbook["Questionnaire"]
    sheet.append([5, None, None, None, None, "Planned", "Once."])
    sheet.append([5, None, None, None, None, "Planned", "Twice."])
    html = refused(upload(client, to_file(workbook)))
    assert "Recommendation 5 is also on row" in html


# --- Damaged workbooks: openpyxl opens them, and fails only while reading a sheet ---


def sheet_part(data: bytes, title: str) -> str:
    """The path in the zip of the sheet called ``title``: openpyxl, which saved the
    file, numbers the parts in the order of the sheets."""
    from openpyxl import load_workbook

    index = load_workbook(io.BytesIO(data), read_only=True).sheetnames.index(title)
    part = f"xl/worksheets/sheet{index + 1}.xml"
    assert part in zipfile.ZipFile(io.BytesIO(data)).namelist()
    return part


def rewritten(data: bytes, part: str, change) -> bytes:
    """The zip with ``part`` replaced by ``change(its bytes)``, or left out on None."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == part:
                content = change(content)
                if content is None:
                    continue
            target.writestr(info.filename, content)
    return buffer.getvalue()


def bad_crc(data: bytes, part: str) -> bytes:
    """The zip with one byte of ``part`` flipped, stored uncompressed: its checksum
    no longer matches, which zipfile notices only when the part is read."""
    stored = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    data = bytearray(stored.getvalue())
    content = zipfile.ZipFile(io.BytesIO(bytes(data))).read(part)
    at = bytes(data).index(content) + len(content) // 2
    data[at] ^= 0x01
    return bytes(data)


def first_row(cells: bytes):
    """A damage: a first row made of ``cells``, ahead of the sheet's own."""
    return lambda xml: xml.replace(
        b"<sheetData>", b'<sheetData><row r="1">' + cells + b"</row>", 1
    )


DAMAGE = {
    "unclosed tags": lambda xml: xml.replace(b"</sheetData>", b"<row><c><v>1</v>"),
    "cut in the middle": lambda xml: xml[: len(xml) // 2],
    "garbage": lambda xml: b"\x00\xff garbage \x89PNG\r\n",
    "a number that is not one": first_row(b'<c r="A1" t="n"><v>one</v></c>'),
    "a shared string that is not there": first_row(b'<c r="A1" t="s"><v>9999</v></c>'),
    "missing": lambda xml: None,
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize(
    "title", ["Questionnaire", "Measures", "Assistance needs", "portal"]
)
def test_a_workbook_with_a_damaged_sheet(client, maria, title, damage):
    workbook = download(client)
    fill_valid_row(workbook)
    workbook["Measures"].append([5, "Training", "A course"])
    data = to_file(workbook).read()

    damaged = rewritten(data, sheet_part(data, title), DAMAGE[damage])
    response = upload(client, SimpleUploadedFile("questionnaire.xlsx", damaged))

    html = refused(response)
    if damage == "garbage":
        # openpyxl reads the head of every sheet when it opens the file.
        assert "could not be read as an Excel workbook" in html
    elif damage == "missing":
        # openpyxl leaves out a sheet whose part is missing.
        assert (
            "This workbook is not a questionnaire downloaded from the portal" in html
            if title == "portal"
            else f"The sheet “{title}” is missing." in html
        )
    else:
        assert f"The workbook is damaged: the sheet “{title}” could not be read." in (
            html
        )


@pytest.mark.parametrize("title", ["Questionnaire", "Measures", "portal"])
def test_a_workbook_whose_zip_holds_a_corrupt_part(client, maria, title):
    workbook = download(client)
    fill_valid_row(workbook)
    data = to_file(workbook).read()

    damaged = bad_crc(data, sheet_part(data, title))
    response = upload(client, SimpleUploadedFile("questionnaire.xlsx", damaged))

    html = refused(response)
    assert (
        f"The workbook is damaged: the sheet “{title}” could not be read." in html
        or "could not be read as an Excel workbook" in html
    )


def test_a_truncated_workbook(client, maria):
    workbook = download(client)
    fill_valid_row(workbook)
    data = to_file(workbook).read()

    response = upload(client, SimpleUploadedFile("q.xlsx", data[: len(data) * 2 // 3]))

    assert "could not be read as an Excel workbook" in refused(response)


def test_a_damaged_sheet_names_the_sheet_and_what_to_do(client, maria):
    workbook = download(client)
    fill_valid_row(workbook)
    data = to_file(workbook).read()
    part = sheet_part(data, "Questionnaire")

    damaged = rewritten(data, part, DAMAGE["unclosed tags"])
    html = refused(upload(client, SimpleUploadedFile("q.xlsx", damaged)))

    assert "The workbook is damaged: the sheet “Questionnaire” could not be read." in (
        html
    )
    assert "download the questionnaire again" in html
