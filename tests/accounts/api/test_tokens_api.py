"""API tokens: hashed at rest, expiring, several per user with a name, listed and
revoked by their owner alone (GET auth/tokens/, DELETE auth/tokens/{id}/)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, SecurityEvent
from tests.api_client import error_of
from tests.django_process import start_django
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
UPDATES = "/api/v1/progress-updates/"


def issue(username: str = "maria", **more) -> dict:
    response = APIClient().post(
        TOKEN, {"username": username, "password": PASSWORD, **more}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def signed_in(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- Issued: hashed, expiring, named ----------------------------------------------


def test_the_database_keeps_no_usable_secret(focal_mex):
    given = issue(name="SIRENA export")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_apitoken")
        row = [str(value) for value in cursor.fetchone()]
    assert not any(given["token"] in value for value in row)
    stored = ApiToken.objects.get()
    assert stored.digest == hashlib.sha512(given["token"].encode()).hexdigest()
    assert len(stored.token_key) == 15  # a prefix, to find the row: no way in
    for leaked in (stored.digest, stored.token_key, str(stored.pk)):
        assert signed_in(leaked).get(UPDATES).status_code == 401
    assert signed_in(given["token"]).get(UPDATES).status_code == 200


def test_a_token_expires_after_api_token_days(focal_mex):
    before = timezone.now()

    given = issue()

    token = ApiToken.objects.get()
    assert before + timedelta(days=30) <= token.expiry
    assert token.expiry <= timezone.now() + timedelta(days=30)
    assert given["expires"] == token.expiry.isoformat().replace("+00:00", "Z")


def test_a_token_past_its_expiry_gets_401(focal_mex):
    given = issue()
    client = signed_in(given["token"])
    assert client.get(UPDATES).status_code == 200

    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = client.get(UPDATES)

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert not ApiToken.objects.exists()  # knox deletes it on the way


def test_api_token_days_comes_from_the_environment_and_is_checked():
    days = "from django.conf import settings; print(settings.REST_KNOX['TOKEN_TTL'])"
    seven = start_django(days, DEBUG="1", API_TOKEN_DAYS="7")
    assert seven.returncode == 0, seven.stderr
    assert "7 days" in seven.stdout
    for wrong in ("a month", "0", "-3", "400"):
        result = start_django(days, DEBUG="1", API_TOKEN_DAYS=wrong)
        assert result.returncode != 0, wrong
        assert "API_TOKEN_DAYS" in result.stderr, wrong


def test_a_user_holds_several_named_tokens_that_all_work(focal_mex):
    first = issue(name="SIRENA export")
    second = issue(name="  nightly   script ")
    third = issue()

    assert first["name"] == "SIRENA export" and second["name"] == "nightly script"
    assert third["name"] == ""
    assert len({first["token"], second["token"], third["token"]}) == 3
    for given in (first, second, third):
        assert signed_in(given["token"]).get(UPDATES).status_code == 200
    assert ApiToken.objects.filter(user=focal_mex).count() == 3
    issued = SecurityEvent.objects.filter(kind="token_issued").order_by("pk")
    assert [e.detail for e in issued] == [
        f"{first['id']} SIRENA export",
        f"{second['id']} nightly script",
        third["id"],
    ]


def test_a_name_longer_than_100_characters_is_refused(focal_mex):
    response = APIClient().post(
        TOKEN,
        {"username": "maria", "password": PASSWORD, "name": "x" * 101},
        format="json",
    )

    assert response.status_code == 400
    assert "name" in error_of(response)["fields"]
    assert not ApiToken.objects.exists()


def test_past_the_limit_no_more_tokens_are_given(settings, focal_mex):
    settings.API_TOKENS_PER_USER = 2
    issue()
    issue()

    refused = APIClient().post(
        TOKEN, {"username": "maria", "password": PASSWORD}, format="json"
    )

    assert refused.status_code == 409
    assert error_of(refused)["code"] == "too_many_tokens"
    # An expired token makes room.
    ApiToken.objects.filter(pk=ApiToken.objects.last().pk).update(
        expiry=timezone.now() - timedelta(days=1)
    )
    assert issue()["token"]
    assert ApiToken.objects.count() == 2


# --- Listed and revoked by their owner ----------------------------------------------


def test_the_owner_lists_its_tokens_without_their_secrets(focal_mex, focal_bra):
    mine = issue(name="SIRENA export")
    other = issue(name="nightly script")
    brunos = issue("bruno", name="Brazil's system")
    client = signed_in(mine["token"])
    client.get(UPDATES)  # marks it used

    response = client.get(TOKENS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    listed = {row["id"]: row for row in body["results"]}
    assert set(listed) == {mine["id"], other["id"]}
    assert listed[mine["id"]]["current"] and not listed[other["id"]]["current"]
    assert listed[mine["id"]]["last_used"] is not None
    assert listed[other["id"]]["last_used"] is None
    assert set(listed[mine["id"]]) == {
        "id",
        "name",
        "created",
        "expires",
        "last_used",
        "current",
    }
    text = response.content.decode()
    for token in ApiToken.objects.all():
        assert token.digest not in text and token.token_key not in text
    assert mine["token"] not in text and brunos["id"] not in text


def test_listing_tokens_needs_credentials():
    response = APIClient().get(TOKENS)

    assert response.status_code == 401


def test_the_owner_revokes_one_token(focal_mex):
    kept = issue(name="kept")
    revoked = issue(name="revoked")

    response = signed_in(kept["token"]).delete(f"{TOKENS}{revoked['id']}/")

    assert response.status_code == 204
    assert signed_in(revoked["token"]).get(UPDATES).status_code == 401
    assert signed_in(kept["token"]).get(UPDATES).status_code == 200
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert event.user == focal_mex and event.actor is None and event.door == "api"
    assert event.detail == f"{revoked['id']} revoked"


def test_a_token_revokes_itself(focal_mex):
    given = issue()
    client = signed_in(given["token"])

    assert client.delete(f"{TOKENS}{given['id']}/").status_code == 204
    assert client.get(UPDATES).status_code == 401


def test_nobody_sees_or_revokes_another_users_token(focal_mex, focal_bra, reviewer):
    brunos = issue("bruno", name="Brazil's system")
    for username in ("maria", "rita"):
        client = signed_in(issue(username)["token"])

        response = client.delete(f"{TOKENS}{brunos['id']}/")

        assert response.status_code == 404, username
        assert error_of(response)["code"] == "not_found"
        assert brunos["id"] not in client.get(TOKENS).content.decode()
    assert ApiToken.objects.filter(pk=brunos["id"]).exists()
    assert signed_in(brunos["token"]).get(UPDATES).status_code == 200
    assert not SecurityEvent.objects.filter(kind="token_revoked").exists()


def test_an_unknown_or_malformed_token_id_is_404(focal_mex):
    client = signed_in(issue()["token"])

    for path in (
        f"{TOKENS}00000000-0000-0000-0000-000000000000/",
        f"{TOKENS}not-an-id/",
        f"{TOKENS}1/",
    ):
        response = client.delete(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_the_browser_session_lists_and_revokes_too(focal_mex):
    given = issue()
    client = APIClient()
    client.force_login(focal_mex)

    listed = client.get(TOKENS).json()["results"]
    revoked = client.delete(f"{TOKENS}{given['id']}/")

    assert [row["id"] for row in listed] == [given["id"]]
    assert not listed[0]["current"]
    assert revoked.status_code == 204
    assert not ApiToken.objects.exists()
