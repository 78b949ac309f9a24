"""Who may download and upload a state's questionnaire: denials change nothing."""

import pytest

from recommendations.models import ProgressUpdate
from tests import factories
from tests.spreadsheets import DOWNLOAD, PAGE, download, row_of, to_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled_mexico(client, focal_mex, mexico):
    """Mexico's questionnaire, downloaded by Maria and filled in on recommendation 5."""
    factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="Mexico's confidential draft."
    )
    client.force_login(focal_mex)
    workbook = download(client)
    sheet = workbook["Questionnaire"]
    sheet.cell(row=row_of(sheet, 5), column=6, value="Planned")
    sheet.cell(row=row_of(sheet, 5), column=7, value="Should not be saved.")
    client.logout()
    return workbook


def test_the_public_is_sent_to_sign_in(client, filled_mexico):
    for url in (PAGE, DOWNLOAD):
        response = client.get(url.format(iso3="MEX"))
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
    response = client.post(PAGE.format(iso3="MEX"), {"file": to_file(filled_mexico)})
    assert response.status_code == 302
    assert ProgressUpdate.objects.count() == 1


def test_brazils_focal_point_cannot_download_or_upload_mexicos(
    client, focal_bra, filled_mexico
):
    client.force_login(focal_bra)
    assert client.get(PAGE.format(iso3="MEX")).status_code == 403
    response = client.get(DOWNLOAD.format(iso3="MEX"))
    assert response.status_code == 403
    assert b"Mexico's confidential draft." not in response.content
    response = client.post(PAGE.format(iso3="MEX"), {"file": to_file(filled_mexico)})
    assert response.status_code == 403
    assert ProgressUpdate.objects.count() == 1


def test_brazils_focal_point_uploading_mexicos_file_to_brazil_is_refused(
    client, focal_bra, filled_mexico
):
    client.force_login(focal_bra)
    response = client.post(PAGE.format(iso3="BRA"), {"file": to_file(filled_mexico)})
    assert response.status_code == 400
    assert "This questionnaire is for Mexico, not for Brazil." in (
        response.content.decode()
    )
    assert ProgressUpdate.objects.count() == 1


def test_the_secretariat_may_work_for_any_state(client, reviewer, secretariat_admin):
    for user in (reviewer, secretariat_admin):
        client.force_login(user)
        assert client.get(PAGE.format(iso3="BRA")).status_code == 200
        assert download(client, "BRA")["Questionnaire"].max_row == 22


def test_the_secretariats_own_scope_has_no_questionnaire(client, reviewer):
    client.force_login(reviewer)
    assert client.get(PAGE.format(iso3="secretariat")).status_code == 404
    assert client.get(DOWNLOAD.format(iso3="secretariat")).status_code == 404
    assert client.get(PAGE.format(iso3="XXX")).status_code == 404


def test_the_page_and_the_dashboard_link(client, focal_mex):
    client.force_login(focal_mex)
    dashboard = client.get("/en/workspace/MEX/").content.decode()
    assert 'href="/en/workspace/MEX/questionnaire/"' in dashboard
    html = client.get(PAGE.format(iso3="MEX")).content.decode()
    assert "<h1>Mexico: offline questionnaire</h1>" in html
    assert 'href="/en/workspace/MEX/questionnaire/download/"' in html
    assert '<input type="file" name="file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "No update may identify a victim." in html
    assert "style=" not in html and "<script" not in html
