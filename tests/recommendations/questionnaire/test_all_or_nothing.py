"""An upload saves every changed row or none: a valid row before a stale one is not
saved either, and the same file without the stale change saves it."""

import pytest

from recommendations import services
from recommendations.models import ProgressUpdate, ReviewState, UpdateEvent
from tests import factories
from tests.spreadsheets import download, row_of, to_file, upload

pytestmark = pytest.mark.django_db

# Columns of the sheet "Questionnaire".
STATUS, SUMMARY = 6, 7


def fill(sheet, number: int, *, summary: str, status: str | None = None) -> None:
    row = row_of(sheet, number)
    sheet.cell(row=row, column=SUMMARY, value=summary)
    if status is not None:
        sheet.cell(row=row, column=STATUS, value=status)


def test_a_valid_row_before_a_stale_one_is_not_saved(client, focal_mex, mexico):
    # Given two drafts, and the questionnaire downloaded
    two = factories.progress_update(
        mexico, 2, author=focal_mex, steps=[], summary="Two, as downloaded."
    )
    three = factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="Three, as downloaded."
    )
    client.force_login(focal_mex)
    workbook = download(client)
    # and, meanwhile, a colleague edits the draft on 3 in the portal
    services.progress_update_edit(
        update=three,
        actor=focal_mex,
        content=services.UpdateContent(status="planned", summary="Three, online."),
        expected_version=three.version,
    )
    three.refresh_from_db()
    online = (three.version, three.summary)
    events_before = UpdateEvent.objects.count()

    # When the file comes back with a new row on 1 and a change on 2 (both valid),
    # then a change on 3 (out of date: its version is the one downloaded)
    sheet = workbook["Questionnaire"]
    fill(sheet, 1, status="Planned", summary="One, new from the file.")
    fill(sheet, 2, summary="Two, changed in the file.")
    fill(sheet, 3, summary="Three, from the stale file.")
    response = upload(client, to_file(workbook))

    # Then the upload is refused for the stale row
    assert response.status_code == 400
    html = response.content.decode()
    assert "changed the update on recommendation 3 in the portal after this file" in (
        html
    )
    # and nothing at all is saved: not the new row, not the change to the draft
    assert not ProgressUpdate.objects.filter(recommendation__number=1).exists()
    two_now = ProgressUpdate.objects.get(pk=two.pk)
    assert (two_now.summary, two_now.version) == ("Two, as downloaded.", two.version)
    assert two_now.review_state == ReviewState.DRAFT
    three.refresh_from_db()
    assert (three.version, three.summary) == online
    assert UpdateEvent.objects.count() == events_before
    assert ProgressUpdate.objects.count() == 2

    # And the same file, with row 3 as it was downloaded, saves rows 1 and 2
    fill(sheet, 3, summary="Three, as downloaded.")
    response = upload(client, to_file(workbook))
    assert response.status_code == 302, response.content.decode()
    assert (
        ProgressUpdate.objects.get(recommendation__number=1).summary
        == "One, new from the file."
    )
    assert ProgressUpdate.objects.get(pk=two.pk).summary == "Two, changed in the file."
    three.refresh_from_db()
    assert (three.version, three.summary) == online
