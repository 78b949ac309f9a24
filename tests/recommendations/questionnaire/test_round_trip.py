"""Download the questionnaire, fill it in with openpyxl, upload it: drafts, never more.

The cast: Maria (focal point of Mexico), Rita (reviewer), Alba (admin).
"""

from datetime import date

import pytest
from django.utils import translation
from django.utils.translation import gettext

from recommendations import services
from recommendations.models import (
    ProgressUpdate,
    Recommendation,
    ReviewState,
    UpdateEvent,
)
from tests import factories
from tests.spreadsheets import download, row_of, to_file, upload

pytestmark = pytest.mark.django_db

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)
# Columns of the sheet "Questionnaire".
STATUS, SUMMARY, NARRATIVE, LANGUAGE, VISIBILITY, CHALLENGES, REFERENCE = range(6, 13)


def fill(sheet, number: int, **values) -> None:
    columns = {
        "status": STATUS,
        "summary": SUMMARY,
        "narrative": NARRATIVE,
        "language": LANGUAGE,
        "visibility": VISIBILITY,
        "challenges": CHALLENGES,
        "reference": REFERENCE,
    }
    row = row_of(sheet, number)
    for key, value in values.items():
        sheet.cell(row=row, column=columns[key], value=value)


def test_the_download_holds_the_states_recommendations_drafts_and_status(
    client, focal_mex, reviewer, mexico
):
    draft = factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="Our draft on three."
    )
    factories.progress_update(
        mexico,
        1,
        author=focal_mex,
        steps=["submit", "accept"],
        reviewer=reviewer,
        status="largely_implemented",
    )
    client.force_login(focal_mex)

    response = client.get("/en/workspace/MEX/questionnaire/download/")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (
        'filename="questionnaire-MEX-eighth-meeting.xlsx"'
        in (response["Content-Disposition"])
    )
    assert {"private", "no-store"} <= {
        directive.strip() for directive in response["Cache-Control"].split(",")
    }
    workbook = download(client)

    assert workbook.sheetnames[:4] == [
        "Instructions",
        "Questionnaire",
        "Measures",
        "Assistance needs",
    ]
    # The identity of the file is hidden from people, and its lists too.
    assert workbook["portal"].sheet_state == "veryHidden"
    assert workbook["lists"].sheet_state == "hidden"
    identity = dict(workbook["portal"].iter_rows(values_only=True))
    assert identity["state"] == "MEX" and identity["cycle"] == "eighth-meeting"
    instructions = [
        cell
        for row in workbook["Instructions"].iter_rows(values_only=True)
        for cell in row
    ]
    assert "No update may identify a victim." in instructions
    assert "Questionnaire of Mexico" in instructions

    sheet = workbook["Questionnaire"]
    # One row per recommendation addressed to states: 1 to 21, not 22.
    numbers = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert numbers == list(range(1, 22))
    assert sheet.protection.sheet is True
    row = row_of(sheet, 3)
    assert sheet.cell(row=row, column=STATUS).value == "In progress"
    assert sheet.cell(row=row, column=SUMMARY).value == "Our draft on three."
    assert sheet.cell(row=row, column=5).value == "Draft"
    assert sheet.cell(row=row, column=13).value == draft.pk  # hidden: the update
    assert sheet.column_dimensions["M"].hidden
    assert sheet.cell(row=row, column=STATUS).protection.locked is False
    assert sheet.cell(row=row, column=1).protection.locked is True
    row = row_of(sheet, 1)
    assert sheet.cell(row=row, column=4).value.startswith(
        "Largely implemented (accepted"
    )
    assert sheet.cell(row=row, column=STATUS).value == "Largely implemented"
    assert sheet.cell(row=row_of(sheet, 2), column=4).value == "No information"
    assert (
        "comprehensive strategies" in sheet.cell(row=row_of(sheet, 1), column=3).value
    )

    # The scale's allowed values are a drop-down list on the status column.
    [status_list] = [
        v for v in sheet.data_validations.dataValidation if str(v.sqref) == "F2:F22"
    ]
    assert status_list.type == "list"
    allowed = [
        cell.value
        for (cell,) in workbook["lists"].iter_rows(min_row=2, max_row=7, max_col=1)
    ]
    assert status_list.formula1 == "'lists'!$A$2:$A$7"
    assert allowed == [
        "Not started",
        "Planned",
        "In progress",
        "Largely implemented",
        "Fully implemented",
        "Not applicable",
    ]
    measures = workbook["Measures"]
    assert [c.value for c in measures[2]][:3] == [
        1,
        "Policy or plan",
        "National action plan",
    ]


def test_round_trip_saves_drafts_and_never_submits(client, focal_mex, reviewer, mexico):
    draft = factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="Before."
    )
    factories.progress_update(
        mexico, 1, author=focal_mex, steps=["submit", "accept"], reviewer=reviewer
    )
    client.force_login(focal_mex)
    workbook = download(client)

    # Colleagues fill in recommendation 5, and change the draft on recommendation 3.
    sheet = workbook["Questionnaire"]
    fill(
        sheet,
        5,
        status="Planned",
        summary="A protocol for labour inspectors is planned.",
        narrative="The *ministry of labour* leads.",
        language="Spanish",
        visibility="Public",
        challenges="Budget.",
    )
    fill(sheet, 3, summary="After, from the spreadsheet.")
    workbook["Measures"].append(
        [5, "Training", "Course for inspectors", date(2026, 5, 1), "www.gob.mx/curso"]
    )
    workbook["Assistance needs"].append([5, "Data systems", "A case register."])
    response = upload(client, to_file(workbook))

    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/en/workspace/MEX/"
    new = ProgressUpdate.objects.get(member_state=mexico, recommendation__number=5)
    assert new.review_state == ReviewState.DRAFT and new.author == focal_mex
    assert (new.status, new.summary) == (
        "planned",
        "A protocol for labour inspectors is planned.",
    )
    assert new.narrative == "The *ministry of labour* leads."
    assert (new.narrative_language, new.narrative_visibility) == ("es", "public")
    assert new.challenges == "Budget."
    measure = new.measures.get()
    assert (measure.kind, measure.title, measure.date, measure.link) == (
        "training",
        "Course for inspectors",
        date(2026, 5, 1),
        "https://www.gob.mx/curso",
    )
    need = new.assistance_needs.get()
    assert (need.kind, need.description) == ("data_systems", "A case register.")

    draft.refresh_from_db()
    assert draft.summary == "After, from the spreadsheet."
    assert draft.review_state == ReviewState.DRAFT
    # Its measure came back from the sheet "Measures" as it was.
    assert list(draft.measures.values_list("title", flat=True)) == [
        "National action plan"
    ]
    assert UpdateEvent.objects.filter(update=draft, action="edited").count() == 1
    # Recommendation 1, left as downloaded, has no new draft; nothing was submitted.
    assert ProgressUpdate.objects.filter(recommendation__number=1).count() == 1
    assert not ProgressUpdate.objects.filter(review_state="submitted").exists()

    page = client.get("/en/workspace/MEX/").content.decode()
    assert (
        "Questionnaire saved: 1 new draft (recommendation 5); 1 draft updated" in page
    )


def test_an_unchanged_file_changes_nothing(client, focal_mex, mexico):
    draft = factories.progress_update(mexico, 3, author=focal_mex, steps=[])
    client.force_login(focal_mex)
    response = upload(client, to_file(download(client)))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 1 and ProgressUpdate.objects.count() == 1


def test_a_changed_row_on_an_accepted_update_starts_a_superseding_draft(
    client, focal_mex, reviewer, mexico
):
    accepted = factories.progress_update(
        mexico, 1, author=focal_mex, steps=["submit", "accept"], reviewer=reviewer
    )
    client.force_login(focal_mex)
    workbook = download(client)
    fill(workbook["Questionnaire"], 1, status="Fully implemented")

    assert upload(client, to_file(workbook)).status_code == 302
    new = ProgressUpdate.objects.get(recommendation__number=1, review_state="draft")
    assert new.supersedes == accepted and new.status == "fully_implemented"
    # Its text and measures start from the accepted update, as in the form.
    assert new.summary == accepted.summary
    assert list(new.measures.values_list("title", flat=True)) == [
        "National action plan"
    ]
    accepted.refresh_from_db()
    assert accepted.review_state == ReviewState.ACCEPTED


def test_a_changed_row_on_a_returned_update_makes_it_a_draft_again(
    client, focal_mex, reviewer, mexico
):
    returned = factories.progress_update(
        mexico,
        4,
        author=focal_mex,
        steps=["submit", "return"],
        reviewer=reviewer,
        comment="Dates?",
    )
    client.force_login(focal_mex)
    workbook = download(client)
    sheet = workbook["Questionnaire"]
    assert sheet.cell(row=row_of(sheet, 4), column=5).value == (
        "Returned by the Secretariat: Dates?"
    )
    fill(sheet, 4, summary="With the dates: May and June 2026.")

    assert upload(client, to_file(workbook)).status_code == 302
    returned.refresh_from_db()
    assert returned.review_state == ReviewState.DRAFT
    assert returned.summary == "With the dates: May and June 2026."


def test_a_submitted_update_must_be_withdrawn_first(client, focal_mex, mexico):
    submitted = factories.progress_update(mexico, 6, author=focal_mex, steps=["submit"])
    client.force_login(focal_mex)
    workbook = download(client)
    fill(workbook["Questionnaire"], 6, summary="Changed while under review.")
    fill(workbook["Questionnaire"], 7, status="Planned", summary="Valid row.")

    response = upload(client, to_file(workbook))
    assert response.status_code == 400
    html = response.content.decode()
    assert "is submitted and awaiting review, so it cannot change" in html
    assert "Withdraw it in the portal first" in html
    submitted.refresh_from_db()
    assert submitted.summary != "Changed while under review."
    # All or nothing: the valid row was not saved either.
    assert not ProgressUpdate.objects.filter(recommendation__number=7).exists()


def test_a_row_changed_in_the_portal_since_the_download_is_refused(
    client, focal_mex, mexico
):
    draft = factories.progress_update(
        mexico, 3, author=focal_mex, steps=[], summary="First."
    )
    other = factories.progress_update(
        mexico, 8, author=focal_mex, steps=[], summary="Untouched in the file."
    )
    client.force_login(focal_mex)
    workbook = download(client)
    # Meanwhile a colleague edits both drafts in the portal.
    for update in (draft, other):
        services.progress_update_edit(
            update=update,
            actor=focal_mex,
            content=services.UpdateContent(status="planned", summary="Online edit."),
            expected_version=update.version,
        )
    fill(workbook["Questionnaire"], 3, summary="From the stale file.")

    response = upload(client, to_file(workbook))
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "changed the update on recommendation 3 in the portal after this file" in html
    )
    # The row left as downloaded is not an error: only the changed one is.
    assert "recommendation 8" not in html
    draft.refresh_from_db()
    assert draft.summary == "Online edit."


def test_the_secretariat_uploads_on_the_states_behalf_with_a_reference(
    client, reviewer, mexico
):
    client.force_login(reviewer)
    workbook = download(client)
    fill(workbook["Questionnaire"], 9, status="Planned", summary="From a note verbale.")

    response = upload(client, to_file(workbook))
    assert response.status_code == 400
    assert "Say which communication of the state this update records" in (
        response.content.decode()
    )
    assert "L (Reference of the state&#x27;s communication" in response.content.decode()

    fill(workbook["Questionnaire"], 9, reference="Note OEA/MEX/123")
    assert upload(client, to_file(workbook)).status_code == 302
    update = ProgressUpdate.objects.get(recommendation__number=9)
    assert update.on_behalf and update.on_behalf_reference == "Note OEA/MEX/123"
    assert update.author == reviewer and update.review_state == ReviewState.DRAFT


def test_a_spanish_file_round_trips_and_accepts_scale_values(client, focal_mex):
    client.force_login(focal_mex)
    workbook = download(client, language="es")
    identity = dict(workbook["portal"].iter_rows(values_only=True))
    assert identity["language"] == "es"
    assert workbook.sheetnames[:2] == ["Instrucciones", "Cuestionario"]
    # The scale's own values are understood too, whatever the file's language.
    fill(workbook["Cuestionario"], 2, status="in_progress", summary="Resumen público.")
    response = client.post(
        "/es/workspace/MEX/questionnaire/", {"file": to_file(workbook)}
    )
    assert response.status_code == 302 and response["Location"] == "/es/workspace/MEX/"
    update = ProgressUpdate.objects.get(recommendation__number=2)
    assert (update.status, update.narrative_language) == ("in_progress", "es")


def test_an_update_accepted_since_the_download(client, focal_mex, reviewer, mexico):
    submitted = factories.progress_update(
        mexico, 11, author=focal_mex, steps=["submit"]
    )
    client.force_login(focal_mex)
    workbook = download(client)
    services.progress_update_accept(
        update=submitted, actor=reviewer, checklist=CHECKLIST
    )
    fill(workbook["Questionnaire"], 12, status="Planned", summary="Another one.")

    # Left as downloaded, its row is no problem.
    assert upload(client, to_file(workbook)).status_code == 302
    assert ProgressUpdate.objects.filter(recommendation__number=12).exists()

    workbook = download(client)
    services.progress_update_submit(
        update=ProgressUpdate.objects.get(recommendation__number=12), actor=focal_mex
    )
    fill(workbook["Questionnaire"], 12, summary="Changed after it was submitted.")
    response = upload(client, to_file(workbook))
    assert response.status_code == 400
    assert "is submitted and awaiting review" in response.content.decode()

    # A row changed on an update accepted since the download is refused.
    workbook = download(client)
    services.progress_update_accept(
        update=ProgressUpdate.objects.get(recommendation__number=12),
        actor=reviewer,
        checklist=CHECKLIST,
    )
    fill(workbook["Questionnaire"], 12, summary="Changed after it was accepted.")
    response = upload(client, to_file(workbook))
    assert response.status_code == 400
    assert "was accepted or deleted in the portal after this file was downloaded" in (
        response.content.decode()
    )


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_a_file_in_another_language_gives_the_catalogue_in_it(
    client, focal_mex, language
):
    client.force_login(focal_mex)
    workbook = download(client, language=language)
    questionnaire = workbook[workbook.sheetnames[1]]
    first = next(questionnaire.iter_rows(min_row=2, max_row=2, values_only=True))
    text = Recommendation.objects.get(number=1).translations[language]["text"]
    assert first[2] == text["text"] and text["standing"] == "working"
    assert "Address the crime of trafficking" not in str(first)
    instructions = " ".join(
        str(value)
        for row in workbook[workbook.sheetnames[0]].iter_rows(values_only=True)
        for value in row
        if value
    )
    assert "Progress towards the Eighth Meeting" not in instructions
    with translation.override(language):
        note = gettext(
            "The themes and the texts of the recommendations are working "
            "translations; the English text is authoritative."
        )
    assert note in instructions
