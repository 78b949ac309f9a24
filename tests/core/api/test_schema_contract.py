"""The schema says what the server enforces, both ways: ``ordering`` as the list of
values each list sorts by, the bounds of the lists in an update, and the 429 answer's
``Retry-After``. Each promise is checked against the server's answer."""

import pytest
import yaml
from rest_framework.test import APIClient

from tests.api_client import error_of

pytestmark = pytest.mark.django_db

ORDERED = {
    "/api/v1/recommendations/": ["number"],
    "/api/v1/member-states/": ["name_en", "iso3"],
    "/api/v1/cycles/": ["period_start", "deadline"],
}
UPDATES = "/api/v1/progress-updates/"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _ordering(schema: dict, path: str) -> dict:
    [parameter] = [
        p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "ordering"
    ]
    return parameter


@pytest.mark.parametrize("path", sorted(ORDERED))
def test_ordering_is_an_enum_of_the_fields_each_way(schema, path):
    parameter = _ordering(schema, path)

    assert parameter["schema"]["type"] == "array"
    assert parameter["schema"]["minItems"] == 1
    assert (parameter["style"], parameter["explode"]) == ("form", False)
    values = parameter["schema"]["items"]["enum"]
    assert sorted(values) == sorted(
        value for field in ORDERED[path] for value in (field, f"-{field}")
    )


def test_every_value_the_schema_lists_is_accepted(schema, api, reviewer):
    client = api(reviewer)
    for path in [*ORDERED, UPDATES]:
        values = _ordering(schema, path)["schema"]["items"]["enum"]
        for value in values:
            assert client.get(path, {"ordering": value}).status_code == 200, value
        together = ",".join(values[::2])
        assert client.get(path, {"ordering": together}).status_code == 200


@pytest.mark.parametrize("value", ["", "population", " number", "number,", "-"])
def test_a_value_outside_the_enum_is_refused(api, value):
    response = api().get("/api/v1/recommendations/", {"ordering": value})

    assert response.status_code == 400
    assert "ordering" in error_of(response)["fields"]


def test_the_lists_of_an_update_have_the_bounds_the_server_keeps(schema):
    components = schema["components"]["schemas"]

    for name in (
        "ProgressUpdateCreateRequest",
        "ProgressUpdateEditRequest",
        "ProgressUpdatePatchRequest",
    ):
        properties = components[name]["properties"]
        assert properties["measures"]["maxItems"] == 30
        assert properties["assistance_needs"]["maxItems"] == 10
        assert "minItems" not in properties["measures"]
    assert "maxItems" not in components["ProgressUpdate"]["properties"]["measures"]


@pytest.mark.parametrize(
    ("field", "item", "most"),
    [
        ("measures", {"kind": "policy", "title": "Plan"}, 30),
        ("assistance_needs", {"kind": "data_systems", "description": "Data"}, 10),
    ],
)
def test_one_more_item_than_max_items_is_refused(api, focal_mex, field, item, most):
    body = {
        "member_state": "MEX",
        "recommendation": 3,
        "status": "in_progress",
        "summary": "A plan.",
    }
    client = api(focal_mex)

    refused = client.post(UPDATES, {**body, field: [item] * (most + 1)}, format="json")
    accepted = client.post(UPDATES, {**body, field: [item] * most}, format="json")

    assert refused.status_code == 400
    assert field in error_of(refused)["fields"]
    assert accepted.status_code == 201, accepted.content
    assert len(accepted.json()[field]) == most


def test_status_takes_a_recommendation_number_as_an_integer(schema):
    [parameter] = [
        p
        for p in schema["paths"]["/api/v1/status/"]["get"]["parameters"]
        if p["name"] == "recommendation"
    ]

    assert parameter["schema"] == {"type": "integer"}


def test_every_429_documents_its_retry_after(schema):
    for methods in schema["paths"].values():
        for operation in methods.values():
            header = operation["responses"]["429"]["headers"]["Retry-After"]
            assert header["required"] is True
            assert header["schema"] == {"type": "integer", "minimum": 1}


def test_a_throttled_answer_carries_retry_after_as_documented(api, throttle_rates):
    throttle_rates(anon="1/minute")
    client = api()

    assert client.get("/api/v1/themes/").status_code == 200
    throttled = client.get("/api/v1/themes/")

    assert throttled.status_code == 429
    assert throttled["Retry-After"].isdigit()
    assert 1 <= int(throttled["Retry-After"]) <= 60
