"""Signing in (token and session), the shape of every error, and throttling."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from recommendations.models import ProgressUpdate
from tests.api_client import error_of
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
UPDATES = "/api/v1/progress-updates/"
DESIGN_EXAMPLE = {
    "member_state": "MEX",
    "recommendation": 3,
    "status": "in_progress",
    "summary": "A plan.",
    "narrative": "The commission met.",
}


# --- Token ------------------------------------------------------------------------


def test_a_token_for_a_username_and_password(focal_mex):
    client = APIClient()

    response = client.post(
        TOKEN, {"username": "maria", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert str(ApiToken.objects.get(user=focal_mex).pk) == response.json()["id"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = client.post(UPDATES, DESIGN_EXAMPLE, format="json")
    assert created.status_code == 201
    # Asking again gives another token; the first one still works.
    again = APIClient().post(
        TOKEN, {"username": "maria", "password": PASSWORD}, format="json"
    )
    assert again.json()["token"] != token
    assert client.get(UPDATES).status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "maria", "password": "wrong-password"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_credentials_get_400(focal_mex, credentials):
    response = APIClient().post(TOKEN, credentials, format="json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(focal_mex):
    focal_mex.is_active = False
    focal_mex.save()

    response = APIClient().post(
        TOKEN, {"username": "maria", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400


def test_missing_fields_get_400_by_field():
    response = APIClient().post(TOKEN, {"username": 3}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"username", "password"}


def test_a_token_of_a_deactivated_user_stops_working(api, focal_mex):
    client = api(focal_mex)
    focal_mex.is_active = False
    focal_mex.save()

    response = client.get(UPDATES)

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_bad_token_gets_401_even_on_public_data():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = client.get("/api/v1/themes/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_writing_without_credentials_gets_401():
    response = APIClient().post(UPDATES, DESIGN_EXAMPLE, format="json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


# --- Session (the browser, the interactive docs) ----------------------------------


def test_a_session_works_for_reading_and_needs_csrf_for_writing(focal_mex, mex_draft):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(focal_mex)

    read = client.get(f"{UPDATES}{mex_draft.pk}/")
    without_csrf = client.post(UPDATES, {**DESIGN_EXAMPLE, "recommendation": 4})

    assert read.status_code == 200 and read.json()["author"] == "maria"
    assert without_csrf.status_code == 403
    assert "CSRF" in error_of(without_csrf)["message"]
    assert ProgressUpdate.objects.count() == 1

    client.get("/en/")  # sets the CSRF cookie, as the docs page does
    csrf = client.cookies["csrftoken"].value
    with_csrf = client.post(
        UPDATES,
        {**DESIGN_EXAMPLE, "recommendation": 4},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert with_csrf.status_code == 201, with_csrf.content


# --- Errors -----------------------------------------------------------------------


def test_an_unknown_address_under_api_is_json_404():
    for path in ("/api/v1/nothing/", "/api/v1/themes", "/api/v2/themes/", "/api/"):
        response = APIClient().get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_a_method_not_allowed_is_json_405(api, focal_mex, mex_draft):
    response = api(focal_mex).post(f"{UPDATES}{mex_draft.pk}/", {}, format="json")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "PATCH" in response["Allow"]


def test_an_unacceptable_format_is_json_406():
    response = APIClient().get("/api/v1/themes/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_acceptable"


def test_a_bad_page_is_404_and_a_bad_page_size_400():
    page = APIClient().get("/api/v1/themes/?page=99")
    size = APIClient().get("/api/v1/themes/?page_size=-1")

    assert page.status_code == 404 and error_of(page)["code"] == "not_found"
    assert size.status_code == 400 and "page_size" in error_of(size)["fields"]


def test_a_path_id_too_large_for_the_database_is_404(api, reviewer):
    huge = "9" * 30

    assert api(reviewer).get(f"{UPDATES}{huge}/").status_code == 404
    assert api().get(f"/api/v1/recommendations/{huge}/").status_code == 404
    assert api().get(f"{UPDATES}?recommendation={huge}").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/progress-updates/?review_state=",
        "/api/v1/progress-updates/?recommendation=",
        "/api/v1/progress-updates/?status=draft&status=accepted",
        "/api/v1/member-states/?participating=",
        "/api/v1/recommendations/?addressee=",
        "/api/v1/themes/?page_size=",
        "/api/v1/themes/?page=",
        "/api/v1/themes/?page_size=5&page_size=6",
        "/api/v1/status/?recommendation=",
        "/api/v1/status/?status=",
        "/api/v1/status/?recommendation=3&recommendation=4",
        "/api/v1/themes/?instrument=%00",
        "/api/v1/recommendations/?theme=a%00b",
    ],
)
def test_a_typed_parameter_without_a_value_or_twice_gets_400(api, reviewer, query):
    response = api(reviewer).get(query)

    assert response.status_code == 400, response.content
    assert error_of(response)["fields"]


def test_an_empty_text_filter_filters_nothing(api):
    assert api().get("/api/v1/status/?theme=&cycle=").json()["count"] > 600
    assert api().get("/api/v1/progress-updates/?cycle=").status_code == 200


# --- Throttling -------------------------------------------------------------------


def test_anonymous_clients_are_throttled_when_on(throttle_rates):
    throttle_rates(anon="3/minute")
    client = APIClient()

    answers = [client.get("/api/v1/themes/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    response = client.get("/api/v1/themes/")
    assert error_of(response)["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_signed_in_clients_have_their_own_rate(api, focal_mex, throttle_rates):
    throttle_rates(anon="1/minute", user="2/minute")
    client = api(focal_mex)

    answers = [client.get("/api/v1/themes/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    # The public's quota is counted apart.
    assert APIClient().get("/api/v1/themes/").status_code == 200


def test_password_guessing_on_the_token_endpoint_is_slowed(focal_mex, throttle_rates):
    throttle_rates(auth="2/minute")
    client = APIClient()
    wrong = {"username": "maria", "password": "guess"}

    answers = [client.post(TOKEN, wrong, format="json").status_code for _ in range(3)]

    assert answers == [400, 400, 429]


def test_throttling_is_off_when_the_rates_say_off():
    answers = {APIClient().get("/api/v1/themes/").status_code for _ in range(30)}

    assert answers == {200}
