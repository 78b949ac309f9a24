"""The locks in requirements/ agree with pyproject.toml, and bin/audit says what it
could and could not check (pip-audit replaced by a stub: no database is reached)."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = PYPROJECT["project"]["dependencies"] + PYPROJECT["build-system"]["requires"]
TEST = PYPROJECT["project"]["optional-dependencies"]["test"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;.*?)?(?: \\)?$")
RELOCK = "run bin/lock and commit requirements/ with pyproject.toml"


def pins(lock: str) -> dict[str, list[tuple[str, int]]]:
    """Each locked package's versions (several where markers split them), each with
    its number of hashes."""
    found: dict[str, list[tuple[str, int]]] = {}
    current = None
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        if match := PIN.match(line):
            current = [match[2], 0]
            found.setdefault(canonicalize_name(match[1]), []).append(current)
        elif line.strip().startswith("--hash=sha256:") and current:
            current[1] += 1
        elif not line.startswith(" "):
            current = None
    return {name: [tuple(pin) for pin in versions] for name, versions in found.items()}


def missing_from(lock: str, requirements: list[str]) -> list[str]:
    locked = pins(lock)
    problems = []
    for line in requirements:
        requirement = Requirement(line)
        versions = [v for v, _ in locked.get(canonicalize_name(requirement.name), [])]
        if not versions:
            problems.append(f"{line}: not in the lock")
        elif bad := [v for v in versions if v not in requirement.specifier]:
            problems.append(f"{line}: locked at {', '.join(bad)}")
    return problems


@pytest.mark.parametrize("lock", ["base.txt", "test.txt"])
def test_every_runtime_requirement_is_locked_at_a_version_it_allows(lock):
    problems = missing_from(lock, RUNTIME)
    assert not problems, f"requirements/{lock} is stale ({RELOCK}): {problems}"


def test_every_test_requirement_is_locked_at_a_version_it_allows():
    problems = missing_from("test.txt", TEST)
    assert not problems, f"requirements/test.txt is stale ({RELOCK}): {problems}"


@pytest.mark.parametrize(
    ("lock", "requirements"), [("base.txt", RUNTIME), ("test.txt", RUNTIME + TEST)]
)
def test_what_an_extra_brings_is_locked_too(lock, requirements):
    locked = pins(lock)
    problems = set()
    for line in requirements:
        requirement = Requirement(line)
        try:
            declared = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not locked, so not installed: the tests above name it
        for extra in requirement.extras:
            for needed in declared:
                needed = Requirement(needed)
                if (
                    needed.marker
                    and needed.marker.evaluate({"extra": extra})
                    and canonicalize_name(needed.name) not in locked
                ):
                    problems.add(f"{needed.name} (for {line})")
    assert not problems, f"requirements/{lock} is stale ({RELOCK}): {problems}"


@pytest.mark.parametrize("lock", ["base.txt", "test.txt", "tools.txt"])
def test_every_locked_package_has_its_hashes(lock):
    unhashed = [
        name
        for name, versions in pins(lock).items()
        for _, hashes in versions
        if not hashes
    ]
    assert pins(lock) and not unhashed, unhashed


@pytest.mark.parametrize("lock", ["base.txt", "tools.txt"])
def test_the_image_the_suite_and_the_tools_share_versions(lock):
    suite = pins("test.txt")
    differ = {
        name: versions
        for name, versions in pins(lock).items()
        if name in suite and versions != suite[name]
    }
    assert not differ, f"{lock} and test.txt differ ({RELOCK}): {differ}"


def test_the_runtime_lock_holds_no_test_tool():
    runtime = pins("base.txt")
    assert "pytest" not in runtime and "playwright" not in runtime


def test_the_installer_and_the_image_install_from_the_locks_with_hashes():
    installer = (ROOT / "bin" / "_venv.sh").read_text()
    assert "--require-hashes -r" in installer and "--no-deps" in installer
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/base.txt" in dockerfile


def test_every_accepted_finding_says_why_and_since_when():
    accepted = tomllib.loads(
        (ROOT / "requirements" / "audit-accepted.toml").read_text()
    ).get("accepted", [])
    for entry in accepted:
        assert set(entry) == {"id", "package", "reason", "date"}, entry
        assert isinstance(entry["date"], date), entry
        assert len(entry["reason"]) > 20, entry
        assert canonicalize_name(entry["package"]) in pins("test.txt") | pins(
            "tools.txt"
        ), f"{entry['id']}: {entry['package']} is no longer locked, remove it"


# --- bin/audit, with pip-audit replaced by a stub answering as a database would ---

STUB = """\
#!{python}
import json, sys
canary = "--no-deps" in sys.argv
service = sys.argv[sys.argv.index("--vulnerability-service") + 1]
answers = json.load(open({answers!r}))
if service not in answers:
    sys.exit("ConnectionError: Failed to resolve the service's host")
print(json.dumps({{"dependencies": answers[service]["canary" if canary else "lock"]}}))
"""
KNOWN = {"name": "django", "version": "3.0", "vulns": [{"id": "PYSEC-1"}]}
UNKNOWN = {"name": "django", "skip_reason": "Dependency not found on PyPI"}
FINDING = {
    "name": "nh3",
    "version": "0.2.17",
    "vulns": [{"id": "GHSA-abcd", "aliases": ["CVE-2099-1"], "fix_versions": ["0.3"]}],
}
CLEAN = {"name": "nh3", "version": "0.3", "vulns": []}


def audit(tmp_path: Path, answers: dict, accepted: str = "") -> tuple[int, str]:
    """bin/audit in a copy of the project, pip-audit answering `answers`."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "audit").write_text((ROOT / "bin" / "audit").read_text())
    (tmp_path / "requirements").mkdir()
    for lock in ("test.txt", "tools.txt"):
        (tmp_path / "requirements" / lock).write_text("")
    (tmp_path / "requirements" / "audit-accepted.toml").write_text(accepted)
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    stub = tmp_path / "pip-audit"
    stub.write_text(
        STUB.format(python=sys.executable, answers=str(tmp_path / "answers.json"))
    )
    stub.chmod(0o755)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "bin" / "audit")],
        env={"PATH": "/usr/bin:/bin", "PIP_AUDIT": str(stub)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_audit_says_in_one_line_it_could_not_run_when_no_database_answers(tmp_path):
    # PyPI reached but silent on a release with advisories, OSV unreachable: as on
    # the build machines.
    answers = {"pypi": {"canary": [UNKNOWN], "lock": [CLEAN]}}
    code, output = audit(tmp_path, answers)
    assert code == 0
    assert output.strip().splitlines() == [output.strip()]
    assert output.startswith("Dependency audit could not run:")
    assert "pypi: Dependency not found" in output and "osv: ConnectionError" in output


def test_audit_passes_only_when_a_database_knows_the_canary_and_finds_nothing(
    tmp_path,
):
    answers = {
        "pypi": {"canary": [UNKNOWN]},
        "osv": {"canary": [KNOWN], "lock": [CLEAN]},
    }
    code, output = audit(tmp_path, answers)
    assert code == 0, output
    assert "Dependency audit (osv): no finding" in output


def test_audit_fails_on_a_finding_nobody_accepted(tmp_path):
    answers = {"pypi": {"canary": [KNOWN], "lock": [FINDING]}}
    code, output = audit(tmp_path, answers)
    assert code == 1
    assert "nh3 0.2.17: GHSA-abcd (fixed in 0.3)" in output
    assert "bin/lock --upgrade-package" in output


def test_audit_passes_a_finding_accepted_under_one_of_its_names(tmp_path):
    answers = {"pypi": {"canary": [KNOWN], "lock": [FINDING]}}
    accepted = (
        '[[accepted]]\nid = "CVE-2099-1"\npackage = "nh3"\n'
        'reason = "only sanitises our own templates"\ndate = 2026-12-01\n'
    )
    code, output = audit(tmp_path, answers, accepted)
    assert code == 0, output
    assert "accepted CVE-2099-1 (nh3, 2026-12-01)" in output


def test_audit_fails_when_a_locked_package_could_not_be_audited(tmp_path):
    skipped = {"name": "nh3", "skip_reason": "Dependency not found on PyPI"}
    answers = {"pypi": {"canary": [KNOWN], "lock": [skipped]}}
    code, output = audit(tmp_path, answers)
    assert code == 1
    assert "Not audited: nh3 (Dependency not found on PyPI)" in output


# --- pre-commit: its hooks run the tools the locks install in .venv ---


def test_pre_commit_runs_the_linter_the_formatter_mypy_and_the_migrations_check():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert set(hooks) == {"ruff-check", "ruff-format", "mypy", "makemigrations"}
    locked = pins("test.txt")
    for hook in hooks.values():
        program = next(word for word in hook["entry"].split() if "/" in word)
        assert program.startswith(".venv/bin/") and hook["language"] == "system"
        tool = program.removeprefix(".venv/bin/")
        assert tool == "python" or tool in locked, f"{hook['id']}: {tool} unlocked"
    assert hooks["ruff-format"]["entry"].endswith("ruff format")
    assert "makemigrations --check --dry-run" in hooks["makemigrations"]["entry"]
    assert not hooks["mypy"]["pass_filenames"]  # [tool.mypy]'s files, all of them


# --- bin/_venv.sh, with .venv's Python replaced by a stub that logs its arguments ---


def venv_install(project: Path, extra: str) -> list[str]:
    """What bin/_venv.sh asked .venv's Python to do, sourced as bin/test does."""
    log = project / "log"
    log.write_text("")
    subprocess.run(
        ["bash", "-c", f'cd "{project}" && source bin/_venv.sh "{extra}"'],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        timeout=60,
    )
    return [line for line in log.read_text().splitlines() if " pip install " in line]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "_venv.sh").write_text((ROOT / "bin" / "_venv.sh").read_text())
    (tmp_path / "requirements").mkdir()
    for lock in ("base.txt", "test.txt"):
        (tmp_path / "requirements" / lock).write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    stub = tmp_path / ".venv" / "bin" / "python"
    stub.parent.mkdir(parents=True)
    stub.write_text(f'#!/bin/sh\necho "python $*" >> "{tmp_path / "log"}"\n')
    stub.chmod(0o755)
    return tmp_path


def test_a_new_venv_gets_the_lock_with_hashes_then_the_project_alone(project):
    assert venv_install(project, "test") == [
        "python -m pip install --quiet --require-hashes -r requirements/test.txt",
        "python -m pip install --quiet --no-deps --no-build-isolation -e .",
    ]
    assert venv_install(project, "")[0].endswith("-r requirements/base.txt")


def test_the_venv_is_reinstalled_only_when_the_lock_or_pyproject_changes(project):
    venv_install(project, "test")
    assert venv_install(project, "test") == []
    stamp = (project / ".venv" / ".installed-test").stat().st_mtime
    for changed in ("requirements/test.txt", "pyproject.toml"):
        os.utime(project / changed, (stamp + 10, stamp + 10))
        assert len(venv_install(project, "test")) == 2, changed
        stamp += 20
        os.utime(project / ".venv" / ".installed-test", (stamp, stamp))
    # The runtime's lock changing leaves the suite's installation alone.
    os.utime(project / "requirements" / "base.txt", (stamp + 10, stamp + 10))
    assert venv_install(project, "test") == []
