"""The texts of an update have limits, said in the form and enforced by every door
(page, API, questionnaire); a text over them is refused and comes back as typed."""

from urllib.parse import urlencode

import pytest
from django.conf import settings

from recommendations.models import ProgressUpdate
from recommendations.text_lengths import (
    CHALLENGES_MAX_CHARS,
    NARRATIVE_MAX_CHARS,
    NEED_MAX_CHARS,
)
from tests.spreadsheets import download, row_of, to_file, upload

pytestmark = pytest.mark.django_db

NEW = "/en/workspace/MEX/recommendations/8/new/"
# The widest character there is: four bytes in UTF-8, twelve once form-encoded.
WIDE = "\U0001f600"


def form_data(**overrides) -> dict:
    data = {
        "status": "in_progress",
        "summary": "Training for labour inspectors started in three states.",
        "narrative": "Details.",
        "narrative_language": "en",
        "narrative_visibility": "public",
        "challenges": "",
        "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0",
        "needs-TOTAL_FORMS": "0",
        "needs-INITIAL_FORMS": "0",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_the_form_states_each_limit_and_the_browser_holds_to_it(client, focal_mex):
    client.force_login(focal_mex)
    html = client.get(NEW).content.decode()
    assert f'maxlength="{NARRATIVE_MAX_CHARS}"' in html
    assert f'maxlength="{CHALLENGES_MAX_CHARS}"' in html
    assert f'maxlength="{NEED_MAX_CHARS}"' in html
    assert f"Up to {NARRATIVE_MAX_CHARS} characters." in html
    assert f"Up to {CHALLENGES_MAX_CHARS} characters." in html


def test_an_overlong_narrative_is_refused_and_comes_back_as_typed(client, focal_mex):
    client.force_login(focal_mex)
    typed = "Word " * (NARRATIVE_MAX_CHARS // 5) + "and one more."
    response = client.post(NEW, form_data(narrative=typed))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        f"Ensure this value has at most {NARRATIVE_MAX_CHARS} characters "
        f"(it has {len(typed)})." in html
    )
    assert typed.strip() in html  # the textarea holds every word typed
    assert not ProgressUpdate.objects.exists()


def test_overlong_challenges_and_needs_are_refused(client, focal_mex):
    client.force_login(focal_mex)
    response = client.post(
        NEW,
        form_data(
            challenges="c" * (CHALLENGES_MAX_CHARS + 1),
            **{
                "needs-TOTAL_FORMS": "1",
                "needs-0-kind": "training",
                "needs-0-description": "n" * (NEED_MAX_CHARS + 1),
            },
        ),
    )
    html = response.content.decode()
    assert f"at most {CHALLENGES_MAX_CHARS} characters" in html
    assert f"at most {NEED_MAX_CHARS} characters" in html
    assert not ProgressUpdate.objects.exists()


def maximal_form() -> dict:
    """Every text at its limit, in the widest characters, every row filled."""
    data = form_data(
        summary=WIDE * 400,
        narrative=WIDE * NARRATIVE_MAX_CHARS,
        challenges=WIDE * CHALLENGES_MAX_CHARS,
        **{"measures-TOTAL_FORMS": "30", "needs-TOTAL_FORMS": "10"},
    )
    for row in range(30):
        data[f"measures-{row}-kind"] = "training"
        data[f"measures-{row}-title"] = WIDE * 300
        data[f"measures-{row}-date"] = "2026-05-01"
        data[f"measures-{row}-link"] = "https://example.org/" + "a" * 470
    for row in range(10):
        data[f"needs-{row}-kind"] = "training"
        data[f"needs-{row}-description"] = WIDE * NEED_MAX_CHARS
    return data


def test_the_largest_valid_form_fits_in_what_django_reads(client, focal_mex):
    body = urlencode(maximal_form())
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(focal_mex)
    response = client.post(NEW, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302, response.content.decode()[:2000]
    update = ProgressUpdate.objects.get()
    assert len(update.narrative) == NARRATIVE_MAX_CHARS
    assert update.measures.count() == 30 and update.assistance_needs.count() == 10


def test_a_form_too_large_to_read_gets_a_page_that_says_so(client, focal_mex):
    client.force_login(focal_mex)
    # About 3.3 MB of narrative, as pasted in the issue.
    response = client.post(NEW, form_data(narrative="x" * 3_300_000))
    html = response.content.decode()
    assert response.status_code == 413
    assert "<h1>Too much text to save at once</h1>" in html
    assert "browser's Back button" in html
    assert not ProgressUpdate.objects.exists()


def test_the_api_refuses_an_overlong_narrative_and_challenges(api, focal_mex, cycle):
    response = api(focal_mex).post(
        "/api/v1/progress-updates/",
        {
            "member_state": "MEX",
            "recommendation": 3,
            "status": "in_progress",
            "summary": "A plan.",
            "narrative": "x" * (NARRATIVE_MAX_CHARS + 1),
            "challenges": "x" * (CHALLENGES_MAX_CHARS + 1),
            "assistance_needs": [
                {"kind": "training", "description": "x" * (NEED_MAX_CHARS + 1)}
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    body = str(response.json())
    for limit in (NARRATIVE_MAX_CHARS, CHALLENGES_MAX_CHARS, NEED_MAX_CHARS):
        assert f"no more than {limit} characters" in body
    assert not ProgressUpdate.objects.exists()


def test_the_questionnaire_refuses_an_overlong_narrative(client, focal_mex):
    client.force_login(focal_mex)
    workbook = download(client)
    sheet = workbook["Questionnaire"]
    row = row_of(sheet, 5)
    sheet.cell(row=row, column=6, value="Planned")
    sheet.cell(row=row, column=7, value="A plan.")
    sheet.cell(row=row, column=8, value="x" * (NARRATIVE_MAX_CHARS + 1))
    sheet.cell(row=row, column=11, value="x" * (CHALLENGES_MAX_CHARS + 1))
    response = upload(client, to_file(workbook))
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        f"At most {NARRATIVE_MAX_CHARS} characters; "
        f"this cell has {NARRATIVE_MAX_CHARS + 1}." in html
    )
    assert f"At most {CHALLENGES_MAX_CHARS} characters;" in html
    assert not ProgressUpdate.objects.exists()
