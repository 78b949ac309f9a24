"""mypy over the apps, as pyproject.toml's [tool.mypy] configures it: strict on every
services, selectors and permissions module, the rest checked where it is annotated."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).with_name("mypy")
CHECKED = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "mypy"
]["files"]
# An ignore names its error code (mypy's ignore-without-code) and says why after it.
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)$")
EXPLAINED = re.compile(r"^\[[a-z0-9-]+(, *[a-z0-9-]+)*\]\s+#\s*\S")


def test_mypy_finds_no_type_error(tmp_path):
    # The Django plugin imports the settings: DEBUG lets them load without a
    # SECRET_KEY; a production PORTAL_ENV would refuse DEBUG.
    env = {**os.environ, "DEBUG": "1"}
    env.pop("PORTAL_ENV", None)
    result = subprocess.run(
        [MYPY, "--cache-dir", str(tmp_path / "mypy")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_type_ignore_names_its_error_and_a_reason():
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (found := IGNORE.search(line)) and not EXPLAINED.match(found["rest"])
    ]
    assert unexplained == []
