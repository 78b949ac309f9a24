"""The one rule for text in the portal's CSV and XLSX files: never a formula."""

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheets import (
    CsvDictWriter,
    csv_cell,
    looks_like_formula,
    xlsx_append,
    xlsx_write,
)


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", " =1+1", "\n\n@x", "-5 victims"],
)
def test_text_that_a_spreadsheet_could_run(text):
    assert looks_like_formula(text)
    assert csv_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["", "Plan", "5 victims", "'quoted", "a=b", " x"])
def test_text_that_it_could_not(text):
    assert not looks_like_formula(text)
    assert csv_cell(text) == text


def test_numbers_are_never_touched():
    assert csv_cell(-5) == -5 and csv_cell(-0.5) == -0.5 and csv_cell(None) is None


def test_csv_quotes_text_and_not_numbers():
    buffer = io.StringIO()
    writer = CsvDictWriter(buffer, fieldnames=["a", "b"])
    writer.writeheader()
    writer.writerow({"a": "=1+1;=2+2", "b": -3})
    assert buffer.getvalue() == '"a","b"\r\n"\'=1+1;=2+2",-3\r\n'


def test_xlsx_keeps_text_as_text_and_numbers_and_dates_as_they_are():
    workbook = Workbook()
    sheet = workbook.active
    values = ["=1+1", "#N/A", "-5 victims", "'quoted", "Plan", -5, date(2026, 5, 1)]
    xlsx_append(sheet, values)
    sheet.append([])
    xlsx_append(sheet, ["@x", None])
    xlsx_write(sheet, 4, 2, "+1")
    buffer = io.BytesIO()
    workbook.save(buffer)

    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [cell.data_type for cell in read[1]] == ["s", "s", "s", "s", "s", "n", "d"]
    assert [cell.value for cell in read[1]][:6] == values[:6]
    assert read["G1"].value.date() == date(2026, 5, 1)
    # Excel's "quote prefix": editing the cell keeps it text.
    assert [cell.quotePrefix for cell in read[1]][:5] == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert (read["A3"].value, read["A3"].data_type) == ("@x", "s")
    assert (read["B4"].value, read["B4"].data_type) == ("+1", "s")
