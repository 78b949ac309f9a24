"""Cells the portal writes into CSV and XLSX files, never run as formulas.

Text that begins like a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``) runs
when a spreadsheet program opens the file: OWASP's "CSV Injection". Every CSV and
XLSX writer of the portal puts its cells through this module, so one rule decides.

Which text is risky: text whose first character is ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (OWASP's list), and also text whose first character after
leading white space is ``=``, ``+``, ``-`` or ``@``. Some programs drop leading
spaces or line breaks before deciding what a cell is, and a text that starts with
white space is rare, so the wider rule costs little.

CSV has no cell types: a risky text gets a leading apostrophe, as OWASP advises, and
every text field is quoted, so that a separator inside a text cannot start a new
cell (Excel splits on semicolons where the decimal mark is a comma). The apostrophe
stays in the data; the CSV files are for reading and are never uploaded back.

XLSX has cell types: text is always written as a string cell, which Excel,
LibreOffice and Google Sheets never evaluate. openpyxl otherwise stores a string
beginning with ``=`` as a formula and ``#N/A`` and the like as errors
(``Cell._bind_value``). A risky text, or one beginning with an apostrophe, is also
given the "quote prefix" style: what Excel itself stores when a person types
``'=1+1``, the apostrophe being a style, not part of the value. Editing such a cell
in Excel keeps it text. No character is added, so reading the file back gives the
text exactly as written: the offline questionnaire returns what the state typed.
Numbers, dates and booleans are written as they are.

XLSX cannot hold most control characters (its XML forbids them), yet text pasted
from a word processor carries some: Word's line break inside a paragraph is a
vertical tab. Those two page and line breaks become line breaks; the others, which
no one sees, are dropped, rather than the whole download failing.
"""

import csv
from collections.abc import Iterable
from typing import IO, Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SPACE = ("=", "+", "-", "@")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program could take ``text`` for a formula."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(_AFTER_SPACE)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: a risky text gets a leading apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return f"'{value}"
    return value


class CsvDictWriter:
    """``csv.DictWriter`` whose text cells are never formulas; numbers stay bare."""

    def __init__(self, stream: IO[str], fieldnames: list[str]):
        self._writer = csv.DictWriter(
            stream, fieldnames=fieldnames, quoting=csv.QUOTE_NONNUMERIC
        )

    def writeheader(self) -> None:
        self._writer.writerow(
            {name: csv_cell(name) for name in self._writer.fieldnames}
        )

    def writerow(self, row: dict[str, Any]) -> None:
        self._writer.writerow({key: csv_cell(value) for key, value in row.items()})


def _xlsx_text(value: Any) -> Any:
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(
            "", value.replace("\v", "\n").replace("\f", "\n")
        )
    return value


def xlsx_cell(cell: Cell, value: Any) -> Cell:
    """Put ``value`` in ``cell``, text as text."""
    value = _xlsx_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if looks_like_formula(value) or value.startswith("'"):
            cell.quotePrefix = True
    return cell


def xlsx_write(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """``sheet.cell(row, column, value)``, text as text."""
    return xlsx_cell(sheet.cell(row=row, column=column), value)


def xlsx_append(sheet: Worksheet, values: Iterable[Any]) -> None:
    """``sheet.append(values)``, text as text."""
    values = [_xlsx_text(value) for value in values]
    sheet.append(values)
    if values:
        row = sheet.max_row  # the appended one: append writes below every cell
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                xlsx_write(sheet, row, column, value)
