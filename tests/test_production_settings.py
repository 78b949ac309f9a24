"""PORTAL_ENV=production: Django's deployment check is clean, the portal refuses to
start with DEBUG on or a weak key, and pages and API calls carry the security headers.

Production settings are read when Django starts, so each test runs Django in a
subprocess with the environment a deployment has (docker-compose.yml).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "tip.example.org"


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # The browser tests allow async-unsafe calls in this process, not in production.
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        SITE_URL=f"https://{HOST}",
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Starting up ------------------------------------------------------------------


def test_the_deployment_check_is_clean_with_production_settings():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_the_deployment_check_warns_outside_production():
    # The same check on development settings: proof that the clean run above means
    # something.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(PORTAL_ENV="development"),
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off when PORTAL_ENV=production"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY is too weak for production"),
        (
            {"SECRET_KEY": "change-me-to-a-long-random-string" * 2},
            "SECRET_KEY is too weak for production",
        ),
        ({"SECRET_KEY": "a" * 80}, "SECRET_KEY is too weak for production"),
        ({"PORTAL_ENV": "prod"}, "PORTAL_ENV='prod' is not one of"),
    ],
)
def test_production_refuses_to_start_unsafely(env, message):
    result = run(
        ["-c", "import django; django.setup(); print('started')"],
        production_env(**env),
    )

    assert result.returncode != 0
    assert message in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_debug_off_and_a_random_key():
    result = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.PRODUCTION, s.DEBUG, s.SESSION_COOKIE_NAME, "
            "s.STORAGES['staticfiles']['BACKEND'])",
        ],
        production_env(),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "False",
        "__Host-sessionid",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


# --- Responses --------------------------------------------------------------------

CLIENT_SCRIPT = textwrap.dedent(
    """
    import json
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="%(host)s")
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    seen = {}
    for name, path, extra in [
        ("page", "/en/recommendations/", https),
        ("api", "/api/v1/themes/", https),
        ("plain_page", "/en/recommendations/", {}),
        ("plain_api", "/api/v1/themes/", {}),
        ("healthz", "/healthz", {}),
        ("readyz", "/readyz", {}),
        ("login", "/en/accounts/login/", https),
    ]:
        response = client.get(path, **extra)
        seen[name] = {
            "status": response.status_code,
            "headers": {k.lower(): v for k, v in response.headers.items()},
            "cookies": {
                key: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
                      "samesite": m["samesite"]}
                for key, m in response.cookies.items()
            },
            "body": response.content.decode(errors="replace")[:20000],
        }
    stylesheet = seen["page"]["body"].split('rel="stylesheet" href="')[1].split('"')[0]
    static = client.get(stylesheet, **https)
    seen["static"] = {
        "url": stylesheet,
        "status": static.status_code,
        "headers": {k.lower(): v for k, v in static.headers.items()},
    }
    print(json.dumps(seen))
    """
)


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """The portal's own static files, collected with the production storage (the
    image collects them all; the packages' big bundles are left out for speed)."""
    root = tmp_path_factory.mktemp("static")
    result = run(
        [
            "manage.py",
            "collectstatic",
            "--noinput",
            *("-i", "drf_spectacular_sidecar", "-i", "admin", "-i", "rest_framework"),
            *("-i", "guardian", "-i", "django_otp", "-i", "otp_totp"),
        ],
        production_env(STATIC_ROOT=str(root)),
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def production_responses(db, collected_static) -> dict:
    """What a page, an API call, the health checks and a static file answer under
    production settings, over HTTPS as the proxy forwards it, and over plain HTTP.
    The subprocess reads the test database (the catalogue is committed there)."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the production subprocess reads the PostgreSQL test database")
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )
    result = run(
        ["-c", CLIENT_SCRIPT % {"host": HOST}],
        production_env(DATABASE_URL=url, STATIC_ROOT=str(collected_static)),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["page", "api"])
def test_a_page_and_an_api_call_carry_the_security_headers(production_responses, name):
    response = production_responses[name]
    headers = response["headers"]

    assert response["status"] == 200
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    policy = headers["permissions-policy"]
    for feature in ("camera=()", "geolocation=()", "microphone=()", "payment=()"):
        assert feature in policy


@pytest.mark.postgres
def test_plain_http_is_redirected_except_the_health_checks(production_responses):
    for name in ("plain_page", "plain_api"):
        response = production_responses[name]
        assert response["status"] == 301
        assert response["headers"]["location"].startswith(f"https://{HOST}/")
    assert production_responses["healthz"]["status"] == 200
    assert production_responses["readyz"]["status"] in {200, 503}  # never 301


@pytest.mark.postgres
def test_cookies_are_secure_host_only_and_out_of_scripts_reach(production_responses):
    cookies = production_responses["login"]["cookies"]

    assert set(cookies) == {"__Host-csrftoken"}
    assert cookies["__Host-csrftoken"] == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }


@pytest.mark.postgres
def test_static_files_are_served_hashed_and_cached_for_ever(production_responses):
    static = production_responses["static"]

    assert static["url"].startswith("/static/css/portal.") and static["url"] != (
        "/static/css/portal.css"
    )
    assert static["status"] == 200
    assert "immutable" in static["headers"]["cache-control"]
