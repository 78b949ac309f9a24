"""submit/, withdraw/, accept/ and return/: the workflow of DESIGN.md through the API.

An illegal step gets 409 and a wrong role 401/403/404; none of them changes anything.
"""

import pytest

from recommendations.models import ReviewState, UpdateEvent
from tests import factories
from tests.api_client import ROLES, error_of, snapshot
from tests.factories import ALL_CHECKED

pytestmark = pytest.mark.django_db

LIST = "/api/v1/progress-updates/"


def step(update, name: str) -> str:
    return f"{LIST}{update.pk}/{name}/"


def test_the_whole_journey_through_the_api(api, focal_mex, reviewer):
    # A focal point files and submits
    created = (
        api(focal_mex)
        .post(
            LIST,
            {
                "member_state": "MEX",
                "recommendation": 3,
                "status": "in_progress",
                "summary": "A plan.",
                "narrative": "The commission met.",
            },
            format="json",
        )
        .json()
    )
    url = f"{LIST}{created['id']}/"
    submitted = api(focal_mex).post(
        f"{url}submit/", {"version": created["version"]}, format="json"
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["review_state"] == "submitted"

    # The reviewer returns it with a comment
    returned = api(reviewer).post(
        f"{url}return/", {"comment": "Add the dates."}, format="json"
    )
    assert returned.status_code == 200
    assert returned.json()["review_state"] == "returned"
    assert api(focal_mex).get(url).json()["review_comment"] == "Add the dates."

    # The focal point revises and resubmits
    version = returned.json()["version"]
    revised = api(focal_mex).patch(
        url,
        {"summary": "A plan adopted on 20 June.", "version": version},
        format="json",
    )
    assert revised.status_code == 200
    assert api(focal_mex).post(f"{url}submit/").status_code == 200

    # The reviewer accepts it with the checklist
    accepted = api(reviewer).post(
        f"{url}accept/", {"checklist": ALL_CHECKED}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["review_state"] == "accepted"

    # Now the public sees it, and the status matrix shows it
    assert api().get(url).json()["summary"] == "A plan adopted on 20 June."
    rows = api().get("/api/v1/status/?member_state=MEX&recommendation=3").json()
    assert rows["results"] == [
        {
            "member_state": "MEX",
            "recommendation": 3,
            "status": "in_progress",
            "update": created["id"],
        }
    ]
    actions = list(
        UpdateEvent.objects.filter(update_id=created["id"]).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "created",
        "submitted",
        "returned",
        "revised",
        "edited",
        "submitted",
        "accepted",
    ]


def test_submit_with_a_stale_version_gets_409(api, focal_mex, reviewer, mex_draft):
    api(reviewer).patch(
        f"{LIST}{mex_draft.pk}/", {"summary": "Changed.", "version": 1}, format="json"
    )
    before = snapshot()

    response = api(focal_mex).post(
        step(mex_draft, "submit"), {"version": 1}, format="json"
    )

    assert response.status_code == 409
    assert error_of(response)["code"] == "stale_version"
    assert snapshot() == before


def test_submit_needs_a_summary_checked_by_the_service(api, focal_mex, mex_submitted):
    response = api(focal_mex).post(step(mex_submitted, "submit"))

    assert response.status_code == 409
    assert "Only a draft can be submitted" in error_of(response)["message"]


def test_withdraw_takes_a_submitted_update_back(api, focal_mex, mex_submitted):
    response = api(focal_mex).post(step(mex_submitted, "withdraw"))

    assert response.status_code == 200
    assert response.json()["review_state"] == "draft"


@pytest.mark.parametrize(
    ("fixture", "name", "body"),
    [
        ("mex_draft", "withdraw", {}),
        ("mex_draft", "accept", {"checklist": ALL_CHECKED}),
        ("mex_draft", "return", {"comment": "No."}),
        ("mex_public", "submit", {}),
        ("mex_public", "withdraw", {}),
        ("mex_public", "accept", {"checklist": ALL_CHECKED}),
        ("mex_public", "return", {"comment": "No."}),
        ("mex_returned", "withdraw", {}),
        ("mex_returned", "accept", {"checklist": ALL_CHECKED}),
    ],
)
def test_illegal_transitions_get_409_and_change_nothing(
    request, api, focal_mex, secretariat_admin, fixture, name, body
):
    update = request.getfixturevalue(fixture)
    actor = secretariat_admin if name in {"accept", "return"} else focal_mex
    before = snapshot()

    response = api(actor).post(step(update, name), body, format="json")

    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "conflict"
    assert snapshot() == before


def test_accept_needs_every_item_of_the_checklist(api, reviewer, mex_submitted):
    before = snapshot()
    partial = {**ALL_CHECKED, "identifies_no_victim": False}

    unchecked = api(reviewer).post(
        step(mex_submitted, "accept"), {"checklist": partial}, format="json"
    )
    missing = api(reviewer).post(step(mex_submitted, "accept"), {}, format="json")
    incomplete = api(reviewer).post(
        step(mex_submitted, "accept"),
        {"checklist": {"identifies_no_victim": True}},
        format="json",
    )
    not_boolean = api(reviewer).post(
        step(mex_submitted, "accept"),
        {"checklist": {**ALL_CHECKED, "status_supported": "yes"}},
        format="json",
    )

    assert unchecked.status_code == 400
    assert "Identifies no victim" in error_of(unchecked)["message"]
    assert "checklist" in error_of(missing)["fields"]
    assert set(error_of(incomplete)["fields"]["checklist"]) == {
        "status_supported",
        "summary_publishable",
        "confidential_marked",
    }
    assert not_boolean.status_code == 400
    assert snapshot() == before


def test_the_checklist_is_recorded_with_the_acceptance(api, reviewer, mex_submitted):
    api(reviewer).post(
        step(mex_submitted, "accept"), {"checklist": ALL_CHECKED}, format="json"
    )

    event = UpdateEvent.objects.get(update=mex_submitted, action="accepted")
    assert event.checklist == ALL_CHECKED and event.actor == reviewer


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_return_needs_a_comment(api, reviewer, mex_submitted, comment):
    before = snapshot()
    body = {} if comment is None else {"comment": comment}

    response = api(reviewer).post(step(mex_submitted, "return"), body, format="json")

    assert response.status_code == 400
    assert "comment" in error_of(response)["fields"]
    assert snapshot() == before


def test_nobody_reviews_an_update_they_wrote(api, reviewer, mexico, cycle):
    update = factories.progress_update(
        mexico,
        9,
        author=reviewer,
        steps=["submit"],
        on_behalf_reference="Note verbale 1/2026",
    )
    before = snapshot()

    response = api(reviewer).post(
        step(update, "accept"), {"checklist": ALL_CHECKED}, format="json"
    )

    assert response.status_code == 409
    assert "someone else must review" in error_of(response)["message"]
    assert snapshot() == before


# Who may take each step on Mexico's updates, and what the others get.
STEPS = {
    # step: (fixture, body, {role: status})
    "submit": (
        "mex_draft",
        {},
        {
            "public": 401,
            "focal_mex": 200,
            "focal_bra": 404,
            "reviewer": 200,
            "secretariat_admin": 200,
        },
    ),
    "withdraw": (
        "mex_submitted",
        {},
        {
            "public": 401,
            "focal_mex": 200,
            "focal_bra": 404,
            "reviewer": 200,
            "secretariat_admin": 200,
        },
    ),
    "accept": (
        "mex_submitted",
        {"checklist": ALL_CHECKED},
        {
            "public": 401,
            "focal_mex": 403,
            "focal_bra": 404,
            "reviewer": 200,
            "secretariat_admin": 200,
        },
    ),
    "return": (
        "mex_submitted",
        {"comment": "Please add the dates."},
        {
            "public": 401,
            "focal_mex": 403,
            "focal_bra": 404,
            "reviewer": 200,
            "secretariat_admin": 200,
        },
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(STEPS))
def test_each_role_may_take_each_step_or_changes_nothing(request, api, who, role, name):
    fixture, body, expected = STEPS[name]
    update = request.getfixturevalue(fixture)
    before = snapshot()

    response = api(who(role)).post(step(update, name), body, format="json")

    assert response.status_code == expected[role], response.content
    if expected[role] == 200:
        assert response.json()["id"] == update.pk
        assert snapshot() != before
    else:
        error_of(response)
        assert snapshot() == before


def test_a_focal_point_cannot_review_a_published_update_of_another_state(
    api, focal_bra, mex_public
):
    before = snapshot()

    response = api(focal_bra).post(
        step(mex_public, "accept"), {"checklist": ALL_CHECKED}, format="json"
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_a_reviewed_update_is_in_its_final_state(api, reviewer, mex_submitted):
    api(reviewer).post(
        step(mex_submitted, "accept"), {"checklist": ALL_CHECKED}, format="json"
    )

    mex_submitted.refresh_from_db()
    assert mex_submitted.review_state == ReviewState.ACCEPTED
    assert mex_submitted.reviewed_by == reviewer
