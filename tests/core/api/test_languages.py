"""The API's language: ``?lang=`` wins over ``Accept-Language``; error messages
are translated, and a 404 never names a model of the portal."""

import pytest
from rest_framework.test import APIClient

from tests.api_client import error_of

pytestmark = pytest.mark.django_db

NOT_FOUND = {"en": "Not found.", "es": "No encontrado.", "fr": "Non trouvé."}
NOT_FOUND["pt"] = "Não encontrado."


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/member-states/XXX/",
        "/api/v1/themes/nothing/",
        "/api/v1/cycles/nothing/",
        "/api/v1/instruments/nothing/",
        "/api/v1/recommendations/99/",
        "/api/v1/progress-updates/999999/",
        "/api/v1/reports/999999/",
    ],
)
@pytest.mark.parametrize("language", ["en", "es", "fr", "pt"])
def test_a_404_is_generic_and_translated(path, language):
    by_header = APIClient().get(path, HTTP_ACCEPT_LANGUAGE=language)
    by_parameter = APIClient().get(f"{path}?lang={language}")

    for response in (by_header, by_parameter):
        assert response.status_code == 404
        error = error_of(response)
        assert error["code"] == "not_found"
        assert error["message"] == NOT_FOUND[language]
        assert "matches the given query" not in response.content.decode()


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_validation_messages_follow_lang(language):
    english = APIClient().get("/api/v1/member-states/?participating=maybe&lang=en")
    translated = APIClient().get(
        f"/api/v1/member-states/?participating=maybe&lang={language}",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert translated.status_code == english.status_code == 400
    assert error_of(translated)["message"] != error_of(english)["message"]
    assert translated["Content-Language"] == language


def test_lang_applies_to_the_api_only():
    # Under /es/… the page's language is its address; lang= means nothing there.
    response = APIClient().get("/es/?lang=de")

    assert response.status_code == 200


def test_the_schema_documents_lang_on_every_operation():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            found = [p for p in operation["parameters"] if p["name"] == "lang"]
            assert len(found) == 1, (method, path)
            assert found[0]["in"] == "query"
            assert found[0]["schema"]["enum"] == ["en", "es", "fr", "pt"]
            assert "Accept-Language" in found[0]["description"]
            assert "400" in operation["responses"], (method, path)
