"""``manage.py compile_report --help`` is read before the environment is set up:
it needs no SECRET_KEY, in production mode either; running the command still does."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], **env}  # no SECRET_KEY, no DEBUG
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize(
    "args",
    [
        ["compile_report", "--help"],
        ["compile_report", "-h"],
        ["help", "compile_report"],
    ],
)
def test_the_help_needs_no_secret_key(mode, args):
    result = manage(*args, PORTAL_ENV=mode)

    assert result.returncode == 0, result.stderr
    assert "usage: manage.py compile_report" in result.stdout
    assert "--output" in result.stdout
    assert "SECRET_KEY" not in result.stderr


@pytest.mark.parametrize("mode", ["development", "production"])
def test_running_the_command_still_needs_the_key(mode, tmp_path):
    result = manage(
        "compile_report", "--output", str(tmp_path / "r.pdf"), PORTAL_ENV=mode
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_a_weak_key_is_still_refused_in_production_outside_help(tmp_path):
    result = manage(
        "compile_report",
        "--output",
        str(tmp_path / "r.pdf"),
        "--cycle=--help",  # a value, not the option
        PORTAL_ENV="production",
        SECRET_KEY="change-me",
    )

    assert result.returncode != 0
    assert "SECRET_KEY is too weak for production" in result.stderr
