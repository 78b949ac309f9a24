"""Settings come from the environment and refuse values that make no sense."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list
from tests.django_process import ROOT, STARTED, start_django


def test_refuses_to_start_with_debug_off_and_no_secret_key():
    result = start_django()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_starts_with_a_secret_key():
    result = start_django(SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_debug_needs_no_secret_key():
    assert start_django(DEBUG="1").returncode == 0


def test_a_fresh_clone_opens_its_sqlite_database_in_a_var_folder_it_makes(tmp_path):
    var = tmp_path / "fresh-clone" / "var"
    result = start_django(
        STARTED + "; from django.db import connection; connection.ensure_connection()",
        DEBUG="1",
        PORTAL_VAR_DIR=str(var),
    )
    assert result.returncode == 0, result.stderr
    assert (var / "portal.sqlite3").exists()


def test_a_malformed_boolean_fails_loudly():
    result = start_django(SECRET_KEY="x" * 50, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    monkeypatch.setenv("COUNT", "12")
    monkeypatch.setenv("HOSTS", "a.example, b.example ,")
    assert env_bool("FLAG") is True
    assert env_bool("UNSET_FLAG", default=True) is True
    assert env_int("COUNT", 1) == 12
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("COUNT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("COUNT", 1)


def test_database_and_broker_from_the_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SECRET_KEY": "x",
            "DATABASE_URL": "postgres://u@db.example/portal",
            "REDIS_URL": "redis://cache.example:6379/0",
        },
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache.example:6379/0",
    ]


def test_embedded_defaults_need_no_service():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "SECRET_KEY": "x"},
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]
