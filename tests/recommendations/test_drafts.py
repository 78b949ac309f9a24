"""Drafts that are easy to start: saved with whatever is filled in, with evidence in
the same post, more measure rows on request; submission checks what is missing."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations import services
from recommendations.models import Evidence, ProgressUpdate, Recommendation, ReviewState
from recommendations.services import UpdateContent
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
NEW = "/en/workspace/MEX/recommendations/8/new/"


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()]


def pdf(name: str = "plan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def page_data(**overrides) -> dict:
    """The form as a focal point sends it with only the summary written."""
    data = {
        "summary": "Training for labour inspectors started.",
        "narrative": "",
        "narrative_language": "en",
        "narrative_visibility": "confidential",
        "challenges": "",
        "measures-TOTAL_FORMS": "2",
        "measures-INITIAL_FORMS": "0",
        "measures-0-kind": "",
        "measures-0-title": "",
        "measures-1-kind": "",
        "measures-1-title": "",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-0-kind": "",
        "needs-0-description": "",
        "action": "save",
    }
    data.update(overrides)
    return data


def start(actor, mexico, cycle, number=8, **content) -> ProgressUpdate:
    return services.progress_update_create(
        actor=actor,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=number),
        content=UpdateContent(**content),
    )


def text(response) -> str:
    import html

    return html.unescape(response.content.decode())


# --- Services ---------------------------------------------------------------------


def test_an_empty_draft_is_saved_and_submission_lists_what_is_missing(
    focal_mex, mexico, cycle
):
    draft = start(focal_mex, mexico, cycle)
    assert (draft.status, draft.summary, draft.review_state) == ("", "", "draft")

    with pytest.raises(ValidationError) as refused:
        services.progress_update_submit(update=draft, actor=focal_mex)

    assert refused.value.message_dict == {
        "status": ["Choose a status before submitting."],
        "summary": ["Write a public summary before submitting."],
    }
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.DRAFT and draft.submitted_at is None


def test_a_complete_draft_is_submitted(focal_mex, mexico, cycle):
    draft = start(focal_mex, mexico, cycle, summary="A plan.")
    assert services.submission_missing(draft) == {
        "status": "Choose a status before submitting."
    }
    draft = services.progress_update_edit(
        update=draft,
        actor=focal_mex,
        content=UpdateContent(status="planned", summary="A plan."),
        expected_version=draft.version,
    )
    assert services.submission_missing(draft) == {}
    submitted = services.progress_update_submit(update=draft, actor=focal_mex)
    assert submitted.review_state == ReviewState.SUBMITTED


def test_the_database_refuses_a_submitted_update_without_status(
    focal_mex, mexico, cycle
):
    from django.db import IntegrityError, transaction

    draft = start(focal_mex, mexico, cycle, summary="A plan.")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdate.objects.filter(pk=draft.pk).update(review_state="submitted")


def test_a_new_draft_and_its_evidence_are_saved_together(
    focal_mex, mexico, cycle, media_root
):
    draft = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=8),
        content=UpdateContent(summary="With its file."),
        evidence=pdf(),
    )
    evidence = draft.evidence.get()
    assert evidence.original_name == "plan.pdf"
    assert len(stored_files(media_root)) == 1
    actions = list(draft.events.values_list("action", flat=True))
    assert actions == ["created", "evidence_added"]


def test_a_bad_file_refuses_the_whole_draft(focal_mex, mexico, cycle, media_root):
    with pytest.raises(ValidationError) as refused:
        services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=8),
            content=UpdateContent(summary="With a bad file."),
            evidence=SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
        )
    assert (
        "Files of this type are not accepted"
        in refused.value.message_dict["evidence"][0]
    )
    assert not ProgressUpdate.objects.exists()
    assert stored_files(media_root) == []


def test_an_edit_and_its_evidence_are_saved_together(
    focal_mex, mexico, cycle, media_root
):
    draft = start(focal_mex, mexico, cycle, summary="First.")
    with pytest.raises(ValidationError):
        services.progress_update_edit(
            update=draft,
            actor=focal_mex,
            content=UpdateContent(summary="Second."),
            expected_version=draft.version,
            evidence=SimpleUploadedFile("fake.pdf", b"not a pdf at all"),
        )
    draft.refresh_from_db()
    assert draft.summary == "First." and not draft.evidence.exists()

    edited = services.progress_update_edit(
        update=draft,
        actor=focal_mex,
        content=UpdateContent(summary="Second."),
        expected_version=draft.version,
        evidence=pdf(),
    )
    assert edited.summary == "Second." and edited.evidence.count() == 1


# --- The form ---------------------------------------------------------------------


def test_a_draft_with_only_a_summary_is_saved_from_the_page(client, focal_mex):
    client.force_login(focal_mex)
    response = client.post(NEW, page_data())
    draft = ProgressUpdate.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/en/updates/{draft.pk}/"
    )
    assert draft.status == "" and draft.summary.startswith("Training")

    page = text(client.get(response["Location"]))
    assert "Draft saved." in page
    assert "Status not chosen yet" in page


def test_evidence_is_attached_to_a_new_draft_in_the_same_post(
    client, focal_mex, media_root
):
    client.force_login(focal_mex)
    response = client.post(NEW, page_data(evidence=pdf("Ley 123.pdf")), follow=True)
    draft = ProgressUpdate.objects.get()
    assert draft.evidence.get().original_name == "Ley 123.pdf"
    assert "“Ley 123.pdf” attached." in text(response)


def test_a_bad_file_refuses_the_post_and_keeps_the_typed_text(
    client, focal_mex, media_root
):
    client.force_login(focal_mex)
    response = client.post(
        NEW,
        page_data(
            summary="My careful summary.",
            evidence=SimpleUploadedFile("virus.exe", b"MZ\x90\x00"),
        ),
    )
    page = text(response)
    assert response.status_code == 200
    assert "Nothing was saved: correct what is marked below." in page
    assert "Files of this type are not accepted" in page
    assert "My careful summary." in page
    assert not ProgressUpdate.objects.exists() and not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_sent_with_a_refused_form_must_be_chosen_again(
    client, focal_mex, media_root
):
    client.force_login(focal_mex)
    response = client.post(
        NEW,
        page_data(evidence=pdf(), **{"measures-0-title": "A measure without type"}),
    )
    page = text(response)
    assert "Choose the type of measure." in page
    assert "the file was not attached: choose it again." in page
    assert stored_files(media_root) == []


def test_the_page_loads_the_row_script_and_the_empty_row_template(client, focal_mex):
    client.force_login(focal_mex)
    page = client.get(NEW).content.decode()
    assert '<script src="/static/js/formset-rows.js" defer></script>' in page
    assert 'enctype="multipart/form-data"' in page
    assert "<template data-formset-empty>" in page
    assert 'name="measures-__prefix__-title"' in page
    assert 'value="add-measures"' in page
    assert "Add another measure" in page


def test_add_another_measure_without_javascript_saves_and_adds_a_row(client, focal_mex):
    client.force_login(focal_mex)
    response = client.post(
        NEW,
        page_data(
            action="add-measures",
            **{"measures-0-kind": "training", "measures-0-title": "Course"},
        ),
    )
    draft = ProgressUpdate.objects.get()
    assert draft.measures.get().title == "Course"
    edit = f"/en/updates/{draft.pk}/edit/"
    # One empty row was left on the page: it comes back with two.
    assert response["Location"] == f"{edit}?empty_measures=2#measures-rows"

    page = client.get(response["Location"]).content.decode()
    assert 'name="measures-TOTAL_FORMS" value="3"' in page
    assert 'value="Course"' in page


def test_rows_added_in_the_page_are_saved(client, focal_mex):
    client.force_login(focal_mex)
    client.post(
        NEW,
        page_data(
            **{
                "measures-TOTAL_FORMS": "4",
                "measures-2-kind": "policy",
                "measures-2-title": "Plan",
                "measures-3-kind": "awareness",
                "measures-3-title": "Campaign",
            }
        ),
    )
    titles = ProgressUpdate.objects.get().measures.values_list("title", flat=True)
    assert list(titles) == ["Plan", "Campaign"]


def test_save_and_submit_of_an_incomplete_draft_saves_and_lists_what_is_missing(
    client, focal_mex
):
    client.force_login(focal_mex)
    response = client.post(NEW, page_data(action="submit"), follow=True)
    draft = ProgressUpdate.objects.get()
    assert draft.review_state == ReviewState.DRAFT
    assert response.redirect_chain == [(f"/en/updates/{draft.pk}/edit/", 302)]
    page = text(response)
    assert "Draft saved, but not submitted: Choose a status before submitting." in page
    assert "Before you can submit" in page


def test_submitting_from_the_update_page_lists_what_is_missing(
    client, focal_mex, mexico, cycle
):
    draft = start(focal_mex, mexico, cycle)
    client.force_login(focal_mex)
    response = client.post(f"/en/updates/{draft.pk}/submit/", follow=True)
    page = text(response)
    assert "Choose a status before submitting." in page
    assert "Write a public summary before submitting." in page
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.DRAFT


def test_the_edit_form_shows_the_latest_return_comment_with_who_and_when(
    client, focal_mex, reviewer, mexico
):
    returned = factories.progress_update(
        mexico,
        4,
        author=focal_mex,
        steps=["submit", "return"],
        reviewer=reviewer,
        comment="Give the dates of the courses, please.",
    )
    client.force_login(focal_mex)
    page = text(client.get(f"/en/updates/{returned.pk}/edit/"))
    top = page.index("<h1")
    comment = page.index("Give the dates of the courses, please.")
    assert top < comment < page.index("No update may identify a victim.")
    name = reviewer.get_full_name() or reviewer.username
    assert f"Returned by {name} on" in page
    assert "<time datetime=" in page[comment:]


def test_a_draft_never_returned_shows_no_return_comment(
    client, focal_mex, mexico, cycle
):
    draft = start(focal_mex, mexico, cycle)
    client.force_login(focal_mex)
    page = text(client.get(f"/en/updates/{draft.pk}/edit/"))
    assert "Returned by" not in page


def test_the_edit_form_has_a_bounded_number_of_queries(
    client, focal_mex, mexico, cycle, django_assert_max_num_queries
):
    draft = start(focal_mex, mexico, cycle)
    client.force_login(focal_mex)
    client.get(f"/en/updates/{draft.pk}/edit/")
    with django_assert_max_num_queries(30):
        assert client.get(f"/en/updates/{draft.pk}/edit/").status_code == 200


# --- Who reads a draft without a status -------------------------------------------


def test_a_draft_without_status_stays_off_the_public_pages(
    client, focal_mex, mexico, cycle
):
    start(focal_mex, mexico, cycle, summary="NOT-YET-PUBLIC-91C")
    for path in ("/en/states/MEX/", "/en/states/MEX/recommendations/8/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "NOT-YET-PUBLIC-91C" not in text(response)


def test_the_questionnaire_downloads_with_a_draft_without_status(
    client, focal_mex, mexico, cycle
):
    start(focal_mex, mexico, cycle, summary="Only a summary so far.")
    client.force_login(focal_mex)
    response = client.get("/en/workspace/MEX/questionnaire/download/")
    assert response.status_code == 200
