"""The README's curl script works as written: it is taken from README.md and run
against a live server, as a state's system would run it."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from recommendations.models import Evidence, ProgressUpdate, ReviewState
from tests import factories

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = "### Filing an update from a state's system"


def readme_script() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(HEADING, 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


@pytest.fixture
def focal_point_of_mexico():
    return factories.focal_point("MEX", username="focal-mex")


def run(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    path = tmp_path / "file-update.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        ["bash", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_readme_script_files_and_submits_an_update(
    live, focal_point_of_mexico, tmp_path
):
    evidence = tmp_path / "protocol.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")

    result = run(
        readme_script(),
        tmp_path,
        PORTAL=live,
        PORTAL_PASSWORD=factories.PASSWORD,
        EVIDENCE=str(evidence),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    update = ProgressUpdate.objects.get()
    assert result.stdout.splitlines() == [
        f"Filed update {update.pk}",
        "protocol.pdf",
        "submitted",
    ]
    assert update.member_state.iso3 == "MEX" and update.recommendation.number == 5
    assert update.review_state == ReviewState.SUBMITTED
    assert update.author == focal_point_of_mexico
    assert update.narrative_is_public
    assert update.measures.get().title == "Anti-corruption unit for trafficking cases"
    assert Evidence.objects.get().update == update


def test_a_second_run_stops_on_the_409(live, focal_point_of_mexico, tmp_path):
    env = {"PORTAL": live, "PORTAL_PASSWORD": factories.PASSWORD}
    assert run(readme_script(), tmp_path, **env).returncode == 0

    again = run(readme_script(), tmp_path, **env)

    assert again.returncode != 0
    assert "already in progress" in again.stdout + again.stderr
    assert ProgressUpdate.objects.count() == 1
