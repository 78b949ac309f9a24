import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from recommendations import services
from recommendations.models import Recommendation
from tests.factories import content

PAGE = "/en/workspace/{iso3}/questionnaire/"
DOWNLOAD = "/en/workspace/{iso3}/questionnaire/download/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def recommendation(cycle, number: int) -> Recommendation:
    return Recommendation.objects.get(instrument=cycle.instrument, number=number)


@pytest.fixture
def file_update(cycle):
    def file(actor, member_state, number, **overrides):
        return services.progress_update_create(
            actor=actor,
            cycle=cycle,
            member_state=member_state,
            recommendation=recommendation(cycle, number),
            content=content(**overrides),
        )

    return file


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


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests in other languages leave theirs active in the thread: undo it."""
    language = translation.get_language()
    yield
    translation.activate(language)
