"""The API starts drafts as the page does: with whatever is filled in; submitting
answers 400 with the missing fields."""

import pytest

from recommendations.models import ProgressUpdate, ReviewState
from tests.api_client import error_of

pytestmark = pytest.mark.django_db

LIST = "/api/v1/progress-updates/"


def test_a_draft_without_status_or_summary_is_created_and_read(api, focal_mex):
    client = api(focal_mex)
    response = client.post(
        LIST, {"member_state": "MEX", "recommendation": 3}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["summary"], body["review_state"]) == ("", "", "draft")

    read = client.get(f"{LIST}{body['id']}/")
    assert read.status_code == 200 and read.json()["status"] == ""
    listed = client.get(LIST, {"member_state": "MEX"})
    assert listed.status_code == 200
    assert body["id"] in [row["id"] for row in listed.json()["results"]]


def test_submitting_an_incomplete_draft_names_the_missing_fields(api, focal_mex):
    client = api(focal_mex)
    created = client.post(
        LIST,
        {"member_state": "MEX", "recommendation": 3, "summary": "A plan."},
        format="json",
    ).json()

    response = client.post(f"{LIST}{created['id']}/submit/", {}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {"status": ["Choose a status before submitting."]}
    assert "Choose a status before submitting." in error["message"]
    update = ProgressUpdate.objects.get(pk=created["id"])
    assert update.review_state == ReviewState.DRAFT


def test_the_status_endpoint_ignores_drafts(api, focal_mex):
    api(focal_mex).post(
        LIST, {"member_state": "MEX", "recommendation": 3}, format="json"
    )
    response = api().get("/api/v1/status/", {"member_state": "MEX"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert all(row["status"] != "" for row in rows)
