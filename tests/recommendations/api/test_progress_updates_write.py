"""Filing, editing and deleting updates through the API: the services' rules, the
version check, and denials that change nothing."""

import pytest

from recommendations.models import ProgressUpdate, ReviewState, UpdateEvent
from tests.api_client import ROLES, error_of, snapshot

pytestmark = pytest.mark.django_db

LIST = "/api/v1/progress-updates/"
DESIGN_EXAMPLE = {
    "member_state": "MEX",
    "recommendation": 3,
    "status": "in_progress",
    "summary": "A national plan is under way with three ministries.",
    "narrative": "The inter-ministerial commission met four times.",
}


def detail(update) -> str:
    return f"{LIST}{update.pk}/"


# --- Create -----------------------------------------------------------------------


def test_the_design_example_creates_a_draft_in_the_open_cycle(
    api, focal_mex, cycle, mexico
):
    response = api(focal_mex).post(LIST, DESIGN_EXAMPLE, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    update = ProgressUpdate.objects.get(pk=body["id"])
    assert update.cycle == cycle and update.member_state == mexico
    assert update.recommendation.number == 3
    assert update.review_state == ReviewState.DRAFT
    assert update.author == focal_mex and not update.on_behalf
    assert update.narrative == DESIGN_EXAMPLE["narrative"]
    assert update.narrative_visibility == "confidential"  # the default, as on the page
    assert response["Location"] == body["url"]
    assert body["version"] == 1 and body["review_state"] == "draft"
    assert list(update.events.values_list("action", flat=True)) == ["created"]


def test_a_full_update_with_measures_and_needs(api, focal_mex):
    payload = {
        **DESIGN_EXAMPLE,
        "narrative_language": "es",
        "narrative_visibility": "public",
        "challenges": "Rotación del personal.",
        "measures": [
            {
                "kind": "legislation",
                "title": "Reforma a la ley general",
                "date": "2025-06-20",
                "link": "https://www.dof.gob.mx/",
            },
            {"kind": "training", "title": "Curso para fiscales"},
        ],
        "assistance_needs": [{"kind": "data_systems", "description": "Registro"}],
    }
    body = api(focal_mex).post(LIST, payload, format="json").json()

    assert body["narrative_language"] == "es"
    assert body["measures"] == [
        {
            "kind": "legislation",
            "title": "Reforma a la ley general",
            "date": "2025-06-20",
            "link": "https://www.dof.gob.mx/",
        },
        {"kind": "training", "title": "Curso para fiscales", "date": None, "link": ""},
    ]
    assert body["assistance_needs"] == [
        {"kind": "data_systems", "description": "Registro"}
    ]


def test_the_secretariat_files_for_a_state_with_a_reference(api, reviewer):
    missing = api(reviewer).post(LIST, DESIGN_EXAMPLE, format="json")
    assert missing.status_code == 400
    assert "on_behalf_reference" in error_of(missing)["fields"]
    assert not ProgressUpdate.objects.exists()

    response = api(reviewer).post(
        LIST,
        {**DESIGN_EXAMPLE, "on_behalf_reference": "Note verbale 12/2026"},
        format="json",
    )

    assert response.status_code == 201
    update = ProgressUpdate.objects.get()
    assert update.on_behalf and update.on_behalf_reference == "Note verbale 12/2026"


def test_the_secretariat_files_on_its_own_recommendation(api, reviewer, focal_mex):
    own = {**DESIGN_EXAMPLE, "member_state": None, "recommendation": 22}

    denied = api(focal_mex).post(LIST, own, format="json")
    created = api(reviewer).post(LIST, own, format="json")

    assert denied.status_code == 403
    assert created.status_code == 201
    assert created.json()["member_state"] is None


@pytest.mark.parametrize(
    ("role", "state", "status_code"),
    [
        ("public", "MEX", 401),
        ("focal_bra", "MEX", 403),
        ("focal_mex", "BRA", 403),
    ],
)
def test_creating_for_a_state_one_may_not_report_for_changes_nothing(
    api, who, role, state, status_code, focal_mex, focal_bra
):
    before = snapshot()

    response = api(who(role)).post(
        LIST, {**DESIGN_EXAMPLE, "member_state": state}, format="json"
    )

    assert response.status_code == status_code
    assert error_of(response)["code"] in {"not_authenticated", "permission_denied"}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "done"}, "status"),
        ({"summary": "x" * 401}, "summary"),
        ({"summary": 42}, "summary"),
        ({"recommendation": "3"}, "recommendation"),
        ({"recommendation": 99}, "recommendation"),
        ({"member_state": "XXX"}, "member_state"),
        ({"narrative_visibility": "secret"}, "narrative_visibility"),
        ({"measures": [{"kind": "policy"}]}, "measures"),
        ({"measures": [{"kind": "policy", "title": "T", "link": "nope"}]}, "measures"),
        ({"measures": [{"kind": "policy", "title": "T"}] * 31}, "measures"),
        ({"assistance_needs": [{"kind": "money"}]}, "assistance_needs"),
    ],
)
def test_invalid_input_gets_400_with_the_field(api, focal_mex, change, field):
    response = api(focal_mex).post(LIST, {**DESIGN_EXAMPLE, **change}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not ProgressUpdate.objects.exists()


def test_a_body_that_is_not_json_gets_400_or_415(api, focal_mex):
    broken = api(focal_mex).post(LIST, "{not json", content_type="application/json")
    form = api(focal_mex).post(LIST, DESIGN_EXAMPLE)  # multipart

    assert broken.status_code == 400 and error_of(broken)["code"] == "parse_error"
    assert form.status_code == 415
    assert error_of(form)["code"] == "unsupported_media_type"


def test_a_second_update_in_progress_gets_409(api, focal_mex, mex_draft):
    response = api(focal_mex).post(LIST, DESIGN_EXAMPLE, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert "already in progress" in error_of(response)["message"]
    assert ProgressUpdate.objects.count() == 1


def test_no_open_cycle_gets_409(api, focal_mex, cycle):
    cycle.is_open = False
    cycle.save()

    response = api(focal_mex).post(LIST, DESIGN_EXAMPLE, format="json")

    assert response.status_code == 409
    assert not ProgressUpdate.objects.exists()


def test_messages_follow_accept_language(api, focal_mex):
    response = api(focal_mex).post(
        LIST,
        {**DESIGN_EXAMPLE, "member_state": "BRA"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "Usted no tiene permiso para realizar esta acción."
    )


# --- Edit -------------------------------------------------------------------------


def content_of(update, **changes) -> dict:
    return {
        "status": update.status,
        "summary": update.summary,
        "narrative": update.narrative,
        "version": update.version,
        **changes,
    }


def test_put_replaces_the_content_and_moves_the_version(api, focal_mex, mex_draft):
    response = api(focal_mex).put(
        detail(mex_draft),
        content_of(mex_draft, status="planned", summary="Planned now."),
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "planned" and body["version"] == 2
    mex_draft.refresh_from_db()
    assert mex_draft.summary == "Planned now." and mex_draft.version == 2
    # PUT replaces everything: what was left out falls back to its default.
    assert body["assistance_needs"] == [] and body["challenges"] == ""


def test_patch_changes_only_what_it_sends(api, focal_mex, mex_draft):
    response = api(focal_mex).patch(
        detail(mex_draft), {"summary": "Only this.", "version": 1}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"] == "Only this."
    assert body["narrative"] == "Confidential draft narrative."
    assert body["challenges"] == "Draft challenges."
    assert body["assistance_needs"] == [
        {"kind": "training", "description": "Inspectors"}
    ]
    assert body["measures"] == [
        {"kind": "policy", "title": "National action plan", "date": None, "link": ""}
    ]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_edit_without_a_version_gets_400(api, focal_mex, mex_draft, method):
    data = content_of(mex_draft)
    del data["version"]

    response = getattr(api(focal_mex), method)(detail(mex_draft), data, format="json")

    assert response.status_code == 400
    assert "version" in error_of(response)["fields"]
    mex_draft.refresh_from_db()
    assert mex_draft.version == 1


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_stale_version_gets_409_with_what_changed(
    api, focal_mex, reviewer, mex_draft, method
):
    # Given the reviewer saved the draft after the focal point read version 1
    saved = api(reviewer).patch(
        detail(mex_draft),
        {"summary": "Corrected by the Secretariat.", "version": 1},
        format="json",
    )
    assert saved.status_code == 200
    before = snapshot()

    # When the focal point saves what it read
    response = getattr(api(focal_mex), method)(
        detail(mex_draft), content_of(mex_draft, summary="Mine."), format="json"
    )

    # Then nothing is saved, and it learns what changed and who changed it
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "stale_version"
    assert error["by"] == reviewer.get_full_name()
    assert {
        "field": "Public summary",
        "before": "A national plan is under way with three ministries.",
        "after": "Corrected by the Secretariat.",
    } in error["changes"]
    assert snapshot() == before


def test_an_accepted_update_cannot_change(api, focal_mex, mex_public):
    before = snapshot()

    response = api(focal_mex).patch(
        detail(mex_public),
        {"summary": "Rewritten.", "version": mex_public.version},
        format="json",
    )

    assert response.status_code == 409
    assert "accepted update cannot change" in error_of(response)["message"]
    assert snapshot() == before


def test_editing_a_returned_update_reopens_it(api, focal_mex, mex_returned):
    mex_returned.refresh_from_db()

    response = api(focal_mex).patch(
        detail(mex_returned),
        {"summary": "With dates.", "version": mex_returned.version},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["review_state"] == "draft"


@pytest.mark.parametrize(
    ("role", "status_code"),
    [("public", 401), ("focal_bra", 404)],
)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_those_who_may_not_see_a_draft_change_nothing(
    api, who, role, status_code, method, mex_draft
):
    before = snapshot()

    response = getattr(api(who(role)), method)(
        detail(mex_draft), content_of(mex_draft, summary="Hacked."), format="json"
    )

    assert response.status_code == status_code
    error_of(response)
    assert snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_focal_point_of_another_state_cannot_touch_a_published_update(
    api, focal_bra, mex_public, method
):
    before = snapshot()

    response = getattr(api(focal_bra), method)(
        detail(mex_public), content_of(mex_public, summary="Hacked."), format="json"
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert snapshot() == before


@pytest.mark.parametrize("role", ["reviewer", "secretariat_admin"])
def test_the_secretariat_edits_a_states_draft_on_its_behalf(api, who, role, mex_draft):
    response = api(who(role)).patch(
        detail(mex_draft), {"summary": "Corrected.", "version": 1}, format="json"
    )

    assert response.status_code == 200
    assert UpdateEvent.objects.filter(update=mex_draft, actor=who(role)).exists()


# --- Delete -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["focal_mex", "reviewer", "secretariat_admin"])
def test_deleting_a_draft(api, who, role, mex_draft):
    response = api(who(role)).delete(detail(mex_draft))

    assert response.status_code == 204
    assert not ProgressUpdate.objects.filter(pk=mex_draft.pk).exists()


def test_a_submitted_update_cannot_be_deleted(api, focal_mex, mex_submitted):
    before = snapshot()

    response = api(focal_mex).delete(detail(mex_submitted))

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_nobody_deletes_a_published_update(api, who, role, mex_public):
    before = snapshot()

    response = api(who(role)).delete(detail(mex_public))

    assert response.status_code in {401, 403, 409}
    assert snapshot() == before
