"""The offline questionnaire as a focal point handles it: download the workbook, find a
recommendation's row, save it to a file and upload it."""

import io

from openpyxl import load_workbook

PAGE = "/en/workspace/{iso3}/questionnaire/"
DOWNLOAD = "/en/workspace/{iso3}/questionnaire/download/"


def download(client, iso3: str = "MEX", language: str = "en"):
    response = client.get(DOWNLOAD.format(iso3=iso3).replace("/en/", f"/{language}/"))
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.content))


def to_file(workbook, name: str = "questionnaire.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def upload(client, file, iso3: str = "MEX"):
    return client.post(PAGE.format(iso3=iso3), {"file": file})


def row_of(sheet, number: int) -> int:
    """The sheet row of a recommendation, found by its number in column A."""
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == number:
            return row
    raise AssertionError(f"no row for recommendation {number}")
