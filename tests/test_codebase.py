"""The checks a maintainer runs before a commit, run by the test command too."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args):
    result = subprocess.run([RUFF, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_keep_the_layers_and_have_no_cycles():
    """The contracts in pyproject.toml: reporting, recommendations, accounts, core,
    one way; no app imports another app's views; no file cycles in an app."""
    result = subprocess.run([LINT_IMPORTS], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_django_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_nothing_reads_the_shared_folder_outside_the_repository():
    offenders = [
        path
        for path in ROOT.rglob("*.py")
        if ".venv" not in path.parts
        and "../shared" in path.read_text(encoding="utf-8")
        and path != Path(__file__)
    ]
    assert offenders == []
