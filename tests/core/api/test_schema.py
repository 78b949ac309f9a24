"""The OpenAPI schema validates and describes every operation, and the interactive
documentation is served from the package's own files, with no inline script."""

import re

import pytest
import schemathesis
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/auth/token/"),
    ("get", "/api/v1/auth/tokens/"),
    ("delete", "/api/v1/auth/tokens/{id}/"),
    ("get", "/api/v1/instruments/"),
    ("get", "/api/v1/instruments/{slug}/"),
    ("get", "/api/v1/themes/"),
    ("get", "/api/v1/themes/{slug}/"),
    ("get", "/api/v1/recommendations/"),
    ("get", "/api/v1/recommendations/{number}/"),
    ("get", "/api/v1/member-states/"),
    ("get", "/api/v1/member-states/{iso3}/"),
    ("get", "/api/v1/cycles/"),
    ("get", "/api/v1/cycles/{slug}/"),
    ("get", "/api/v1/status/"),
    ("get", "/api/v1/progress-updates/"),
    ("post", "/api/v1/progress-updates/"),
    ("get", "/api/v1/progress-updates/{id}/"),
    ("put", "/api/v1/progress-updates/{id}/"),
    ("patch", "/api/v1/progress-updates/{id}/"),
    ("delete", "/api/v1/progress-updates/{id}/"),
    ("post", "/api/v1/progress-updates/{id}/submit/"),
    ("post", "/api/v1/progress-updates/{id}/withdraw/"),
    ("post", "/api/v1/progress-updates/{id}/accept/"),
    ("post", "/api/v1/progress-updates/{id}/return/"),
    ("post", "/api/v1/progress-updates/{id}/evidence/"),
    ("get", "/api/v1/progress-updates/{id}/evidence/{evidence_id}/"),
    ("delete", "/api/v1/progress-updates/{id}/evidence/{evidence_id}/"),
    ("get", "/api/v1/reports/"),
    ("post", "/api/v1/reports/"),
    ("get", "/api/v1/reports/{id}/"),
    ("get", "/api/v1/reports/{id}/pdf/"),
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_the_schema_is_valid_openapi_3(schema):
    # Against the OpenAPI 3.0 JSON schema, and as schemathesis reads it.
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    loaded = schemathesis.openapi.from_dict(schema)
    assert {
        (operation.method, operation.path)
        for operation in (result.ok() for result in loaded.get_all_operations())
    } >= OPERATIONS


def test_the_schema_is_also_served_as_json():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["info"]["title"]


def test_every_operation_is_described(schema):
    found = {(method, path) for method, path, _operation in operations(schema)}

    assert found == OPERATIONS


def test_every_operation_documents_its_errors_with_the_error_shape(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        errors = [code for code in responses if code.startswith("4")]
        assert "429" in errors and "406" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= set(errors), (method, path)
        if method != "get" and path != "/api/v1/auth/token/":
            assert "401" in errors, (method, path)
        for code in errors:
            content = responses[code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_review_checklist_and_version_are_in_the_schema(schema):
    components = schema["components"]["schemas"]

    checklist = components["ChecklistRequest"]
    assert set(checklist["required"]) == {
        "identifies_no_victim",
        "status_supported",
        "summary_publishable",
        "confidential_marked",
    }
    assert components["AcceptRequest"]["required"] == ["checklist"]
    assert components["ReturnRequest"]["required"] == ["comment"]
    assert "version" in components["ProgressUpdateEditRequest"]["required"]
    assert components["ProgressUpdatePatchRequest"]["required"] == ["version"]
    # A draft may leave its status and summary empty: submitting asks for them.
    assert set(components["ProgressUpdateCreateRequest"]["required"]) == {
        "member_state",
        "recommendation",
    }


def test_public_reads_need_no_credentials_and_writes_do(schema):
    for method, _path, operation in operations(schema):
        anonymous = {} in operation.get("security", [{}])
        public = method == "get" and not _path.endswith("/auth/tokens/")
        assert anonymous == (public or _path.endswith("/auth/token/")), (
            method,
            _path,
        )
        if not anonymous:  # a token, as since v1 began, or the browser's session
            assert {"tokenAuth": []} in operation["security"], (method, _path)


def test_the_docs_page_has_no_inline_script_and_no_cdn():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all(body.strip() == "" for _attrs, body in scripts)
    assert "<style" not in html and " style=" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(source.startswith("/") for source in sources), sources
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_start_up_script_is_a_file_that_loads_the_schema():
    page = APIClient().get("/api/docs/").content.decode()
    script_url = re.findall(r'<script src="([^"]*\?[^"]*script[^"]*)"', page)[0]

    response = APIClient().get(script_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
