"""Logs and errors: JSON lines that say which request, user or task they are about and
never carry a secret; error reports to Sentry only when a DSN is given, scrubbed."""

import copy
import io
import json
import logging
import logging.config
import secrets

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport

from core import error_reporting
from portal.celery import app
from tests.django_process import start_django

PASSWORD = "Horse-battery-staple-71"
TOKEN = "tok-4f1d9c2b7a"
API_TOKEN = "api-9e8d7c6b5a"
NARRATIVE = "The shelter in Puebla opened in May"


@pytest.fixture
def json_logs(settings):
    """The portal's logging as production has it, into a buffer; the lines, parsed."""
    buffer = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    lines.text = buffer.getvalue
    yield lines
    logging.config.dictConfig(settings.LOGGING)


def test_a_request_line_carries_the_request_id_and_the_user_id_never_the_name(
    client, focal_mex, json_logs
):
    client.force_login(focal_mex)
    response = client.get(
        reverse("recommendations:start"), headers={"X-Request-ID": "proxy-5e1f0c2a"}
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "proxy-5e1f0c2a"
    (line,) = [line for line in json_logs() if line["name"] == "portal.request"]
    assert line["request_id"] == "proxy-5e1f0c2a"
    assert line["user_id"] == focal_mex.pk
    assert line["status"] == 200
    assert line["path"] == reverse("recommendations:start")
    assert {"time", "level", "message"} <= set(line)
    assert focal_mex.username not in json_logs.text()
    assert focal_mex.email not in json_logs.text()


@pytest.mark.parametrize(
    "incoming",
    [None, "", "short", "two words here", "x" * 129, "id\nforged: line", "<script>"],
)
def test_a_missing_or_strange_request_id_is_replaced_by_a_new_one(
    client, db, json_logs, incoming
):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = client.get("/healthz", headers=headers)
    request_id = response["X-Request-ID"]
    assert request_id != incoming
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    (line,) = [line for line in json_logs() if line["name"] == "portal.request"]
    assert line["request_id"] == request_id
    assert "user_id" not in line  # nobody signed in


def test_a_password_reset_link_is_logged_without_its_token(client, db, json_logs):
    link = reverse(
        "password_reset_confirm", kwargs={"uidb64": "MTIz", "token": "cn4d-" + TOKEN}
    )
    client.get(link)

    (line,) = [line for line in json_logs() if line["name"] == "portal.request"]
    assert line["path"] == link.replace("MTIz", "[redacted]").replace(
        "cn4d-" + TOKEN, "[redacted]"
    )
    assert TOKEN not in json_logs.text()


def test_two_requests_have_two_ids(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    assert client.get("/healthz")["X-Request-ID"] != first


def test_passwords_tokens_cookies_and_narratives_never_reach_the_log(
    client, focal_mex, json_logs
):
    # A failed sign-in, with the password in the form
    client.post(reverse("login"), {"username": "maria", "password": PASSWORD})
    # A page that does not exist, a token in its query string and a form body
    client.cookies["sessionid"] = "cookie-value-3c4d"
    not_found = client.post(
        f"/en/no-such-page/?token={TOKEN}&lang=en",
        {"password": PASSWORD, "narrative": NARRATIVE},
    )
    assert not_found.status_code == 404
    # An API call with a token that does not exist
    refused = client.get(
        "/api/v1/progress-updates/", headers={"Authorization": f"Token {API_TOKEN}"}
    )
    assert refused.status_code == 401
    # Celery announcing a task whose arguments hold an email address
    logging.getLogger("celery.worker.strategy").info(
        "Task %(name)s[%(id)s] received",
        {"name": "portal.send_password_reset", "id": "5d3c"},
        extra={"data": {"args": f"('{focal_mex.email}', 'en')", "kwargs": "{}"}},
    )
    # Code that logs carelessly
    logging.getLogger("portal.careless").warning(
        "Signed in with password=%s, token: %s and %s",
        PASSWORD,
        TOKEN,
        {"api_key": API_TOKEN, "narrative": NARRATIVE},
        extra={"password": PASSWORD, "form": {"summary": NARRATIVE}, "user": focal_mex},
    )

    text = json_logs.text()
    for secret in (PASSWORD, TOKEN, API_TOKEN, NARRATIVE, "cookie-value-3c4d"):
        assert secret not in text
    assert focal_mex.username not in text
    assert focal_mex.email not in text
    lines = json_logs()
    # Django's own line for the 404 still says which request it was, by its id
    (django_line,) = [
        line for line in lines if line["message"] == "Not Found: /en/no-such-page/"
    ]
    assert django_line["request_id"] == not_found["X-Request-ID"]
    assert django_line["request"] == "POST /en/no-such-page/"
    careless = next(line for line in lines if line["name"] == "portal.careless")
    assert careless["password"] == "[redacted]"
    assert careless["form"] == {"summary": "[redacted]"}
    assert careless["user"] == f"portal.User {focal_mex.pk}"
    assert "password=[redacted], token: [redacted]" in careless["message"]


@app.task(name="tests.log_from_a_task")
def log_from_a_task() -> None:
    logging.getLogger("tests.task").warning("Working")


def test_a_task_line_carries_the_task_id_and_name(json_logs):
    result = log_from_a_task.apply()
    logging.getLogger("tests.task").warning("After the task")

    during, after = [line for line in json_logs() if line["name"] == "tests.task"]
    assert during["task_id"] == result.id
    assert during["task_name"] == "tests.log_from_a_task"
    assert "task_id" not in after and "task_name" not in after


def test_log_format_from_the_environment():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('portal.test').warning('Hello %s', {'password': 'p-1'})"
    )
    production = start_django(
        code,
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="x",
    )
    assert production.returncode == 0, production.stderr
    line = json.loads(production.stderr.strip().splitlines()[-1])
    assert line["message"] == "Hello {'password': '[redacted]'}"
    assert line["level"] == "WARNING"

    text = start_django(code, DEBUG="1")
    assert text.stderr.strip() == "WARNING portal.test Hello {'password': '[redacted]'}"

    assert start_django(code, DEBUG="1", LOG_FORMAT="JSON").stderr.startswith("{")
    wrong = start_django(code, DEBUG="1", LOG_FORMAT="xml")
    assert wrong.returncode != 0
    assert "LOG_FORMAT='xml' is not one of: json, text" in wrong.stderr


# --- Error reporting ---------------------------------------------------------------


class MemoryTransport(Transport):
    """Keeps what the SDK would send to Sentry."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@csrf_exempt  # as an API view is
def _fails(request: HttpRequest) -> HttpResponse:
    request.POST  # noqa: B018 - the body is read, as a real view would
    raise RuntimeError("Something broke")


urlpatterns = [path("fails/", _fails)]


@pytest.fixture
def sentry():
    transport = MemoryTransport()
    error_reporting.init(
        dsn="https://public-key@errors.example.org/3",
        environment="test",
        traces_sample_rate=0,
        transport=transport,
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    assert not sentry_sdk.is_initialized()


def test_an_error_in_a_view_reaches_sentry_without_personal_data(
    settings, client, focal_mex, sentry
):
    # Given a signed-in focal point whose request fails, with secrets all over it
    settings.ROOT_URLCONF = __name__
    client.force_login(focal_mex)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    environ = (
        RequestFactory()
        .post(
            f"/fails/?token={TOKEN}",
            {"password": PASSWORD, "narrative": NARRATIVE},
            headers={
                "Authorization": f"Token {API_TOKEN}",
                "X-Request-ID": "req-7a7a7a7a",
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
        .environ
    )
    # When the WSGI application answers it, as gunicorn would ask (keeping the test's
    # database connection open, as Django's test client does)
    statuses = []
    request_started.disconnect(close_old_connections)
    try:
        WSGIHandler()(environ, lambda status, headers, *args: statuses.append(status))
    finally:
        request_started.connect(close_old_connections)
    assert statuses == ["500 Internal Server Error"]

    # Then Sentry gets the error, the user's id and the request id, and nothing else
    (event,) = sentry.events
    assert event["exception"]["values"][-1]["value"] == "Something broke"
    assert event["environment"] == "test"
    assert event["user"] == {"id": str(focal_mex.pk)}
    assert event["tags"]["request_id"] == "req-7a7a7a7a"
    request = event["request"]
    assert request["method"] == "POST"
    assert request["url"] == "http://testserver/fails/"
    assert set(request) == {"method", "url", "headers"}  # no body, cookies, query
    assert {name.lower() for name in request["headers"]} <= {
        "accept",
        "accept-language",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "x-request-id",
    }
    sent = json.dumps(event)
    for secret in (PASSWORD, TOKEN, API_TOKEN, NARRATIVE, session, "203.0.113.9"):
        assert secret not in sent
    assert focal_mex.email not in sent
    assert focal_mex.username not in sent
    for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]:
        assert "vars" not in frame


def test_without_a_dsn_sentry_is_not_started():
    check = (
        "import django, sentry_sdk; django.setup(); print(sentry_sdk.is_initialized())"
    )
    assert start_django(check, DEBUG="1").stdout.strip() == "False"
    started = start_django(
        check, DEBUG="1", SENTRY_DSN="https://k@errors.example.org/3"
    )
    assert started.stdout.strip() == "True", started.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SENTRY_TRACES_SAMPLE_RATE", "2", "is not a number from 0 to 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "often", "is not a number from 0 to 1"),
        ("SENTRY_ENVIRONMENT", "prod/eu", "is not an environment name"),
        ("SENTRY_DSN", "not a dsn", "SENTRY_DSN is not usable"),
    ],
)
def test_sentry_settings_that_make_no_sense_are_refused(variable, value, message):
    env = {
        "DEBUG": "1",
        "SENTRY_DSN": "https://k@errors.example.org/3",
        variable: value,
    }
    result = start_django(**env)
    assert result.returncode != 0
    assert message in result.stderr
