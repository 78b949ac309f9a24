"""Each update in the API says what its reader may do with it (``actions``), the same
answer as the update's page: ``recommendations.permissions.allowed_actions``.

The services accept exactly those actions (see
tests/recommendations/test_allowed_actions.py); here the API's field agrees with that
answer, in lists and details, for the whole cast, and follows the update through its
workflow.
"""

import json
from dataclasses import asdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from recommendations import permissions
from recommendations.models import ProgressUpdate, ReportingCycle
from tests import factories
from tests.api_client import ROLES

pytestmark = pytest.mark.django_db

LIST = "/api/v1/progress-updates/"
ACTIONS = {"read_in_full", "edit", "submit", "withdraw", "delete", "review"}


@pytest.fixture
def data(mex_draft, mex_submitted, mex_public, bra_draft, focal_mex, mexico, reviewer):
    on_behalf = factories.progress_update(
        mexico,
        8,
        author=reviewer,
        steps=["submit"],
        on_behalf_reference="Note MEX-7/2026",
    )
    returned = factories.progress_update(
        mexico,
        9,
        author=focal_mex,
        reviewer=reviewer,
        steps=["submit", "return"],
        comment="Why?",
    )
    return {
        "mex_draft": mex_draft,
        "mex_submitted": mex_submitted,
        "mex_on_behalf": on_behalf,
        "mex_returned": returned,
        "mex_public": mex_public,
        "bra_draft": bra_draft,
    }


def answer(user, update: ProgressUpdate) -> dict[str, bool]:
    current = ProgressUpdate.objects.select_related("cycle", "member_state").get(
        pk=update.pk
    )
    return asdict(permissions.allowed_actions(user or AnonymousUser(), current))


@pytest.mark.parametrize("past_deadline", [False, True], ids=["open", "late"])
@pytest.mark.parametrize("role", ROLES)
def test_the_api_says_what_allowed_actions_says(api, who, role, data, past_deadline):
    # Given updates in every review state (and, in one case, a passed deadline)
    if past_deadline:
        ReportingCycle.objects.filter(is_open=True).update(
            deadline=timezone.now() - timedelta(hours=1)
        )
    user = who(role)
    client = api(user)

    # When the person lists the updates, and reads each
    listed = {row["id"]: row for row in client.get(LIST).json()["results"]}

    # Then each carries the answer of allowed_actions, in the list and alone
    assert listed, role
    for name, update in data.items():
        if update.pk not in listed:
            assert not answer(user, update)["read_in_full"], (role, name)
            continue
        assert set(listed[update.pk]["actions"]) == ACTIONS
        assert listed[update.pk]["actions"] == answer(user, update), (role, name)
        alone = client.get(f"{LIST}{update.pk}/").json()
        assert alone["actions"] == answer(user, update), (role, name)


def test_the_answer_grants_as_well_as_denies(api, focal_mex, reviewer, data):
    mine = api(focal_mex).get(f"{LIST}{data['mex_draft'].pk}/").json()["actions"]
    assert mine == {
        "read_in_full": True,
        "edit": True,
        "submit": True,
        "withdraw": False,
        "delete": True,
        "review": False,
    }
    # Rita filed this one for Mexico: she may withdraw it, not review it
    own = api(reviewer).get(f"{LIST}{data['mex_on_behalf'].pk}/").json()["actions"]
    assert own["withdraw"] is True and own["review"] is False
    theirs = api(reviewer).get(f"{LIST}{data['mex_submitted'].pk}/").json()["actions"]
    assert theirs["review"] is True and theirs["edit"] is False
    public = api().get(f"{LIST}{data['mex_public'].pk}/").json()["actions"]
    assert not any(public.values())


def test_the_answer_follows_the_update_through_its_workflow(api, focal_mex, mex_draft):
    client = api(focal_mex)
    url = f"{LIST}{mex_draft.pk}/"

    submitted = client.post(f"{url}submit/", {}, format="json").json()
    assert submitted["actions"]["withdraw"] is True
    assert submitted["actions"]["edit"] is False
    withdrawn = client.post(f"{url}withdraw/", {}, format="json").json()
    # A draft that was once submitted may be edited and submitted, not deleted
    assert withdrawn["actions"]["edit"] is True
    assert withdrawn["actions"]["delete"] is False


def test_the_answer_is_read_only(api, focal_mex, mex_draft):
    url = f"{LIST}{mex_draft.pk}/"
    before = api(focal_mex).get(url).json()

    response = api(focal_mex).patch(
        url,
        {"version": before["version"], "actions": {"review": True}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["actions"]["review"] is False


def test_the_schema_documents_the_answer(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/json")
    schemas = json.loads(response.content)["components"]["schemas"]

    field = schemas["ProgressUpdate"]["properties"]["actions"]
    assert field.get("readOnly") is True
    target = field.get("$ref") or field["allOf"][0]["$ref"]
    actions = schemas[target.rsplit("/", 1)[-1]]
    assert set(actions["properties"]) == ACTIONS
    assert set(actions["required"]) == ACTIONS
    assert all(p["type"] == "boolean" for p in actions["properties"].values())
    assert "actions" not in schemas["ProgressUpdateEditRequest"]["properties"]
