"""The public matrix filtered by theme, status and state, and the filtered view's
downloads; bad filter values get a message, never a server error."""

import csv
import io

import pytest
from openpyxl import load_workbook

from recommendations.models import MemberState
from reporting.selectors import matrix_selection, status_matrix
from tests import factories

pytestmark = pytest.mark.django_db

RETURNED = "RETURNED-summary-never-public"


@pytest.fixture
def statuses(cycle, mexico, brazil, focal_mex, focal_bra, reviewer):
    """Mexico: 1 fully implemented (multidimensional approach), 12 in progress
    (corruption); Brazil: 12 fully implemented; Mexico's returned update on 2."""
    factories.progress_update(
        mexico, 1, author=focal_mex, reviewer=reviewer, status="fully_implemented"
    )
    factories.progress_update(
        mexico, 12, author=focal_mex, reviewer=reviewer, status="in_progress"
    )
    factories.progress_update(
        brazil, 12, author=focal_bra, reviewer=reviewer, status="fully_implemented"
    )
    factories.progress_update(
        mexico,
        2,
        author=focal_mex,
        reviewer=reviewer,
        steps=["submit", "return"],
        status="fully_implemented",
        summary=RETURNED,
    )


def _header_numbers(html: str) -> list[str]:
    head = html[html.index('<table class="matrix') : html.index("</thead>")]
    return [
        part.split("</a>")[0].rsplit(">", 1)[-1]
        for part in head.split('<th scope="col"><a ')[1:]
    ]


def _row_states(html: str) -> list[str]:
    body = html[html.index('<table class="matrix') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    return [
        part.split('"', 1)[0] for part in body.split('<th scope="row"><a href="')[1:]
    ]


def test_the_selection_by_status_keeps_rows_and_columns_with_a_match(statuses, cycle):
    matrix = status_matrix(cycle=cycle, details=False)
    selection = matrix_selection(matrix, status="fully_implemented")
    assert [s.iso3 for s, _cells in selection.rows] == ["BRA", "MEX"]
    assert [r.number for r in selection.recommendations] == [1, 12]
    mexico_cells = dict(selection.rows)[matrix_state(matrix, "MEX")]
    assert [(c.recommendation.number, c.matches) for c in mexico_cells] == [
        (1, True),
        (12, False),  # in progress: left blank
    ]


def matrix_state(matrix, iso3):
    return next(s for s in matrix.states if s.iso3 == iso3)


def test_the_selection_by_theme_and_state(statuses, cycle):
    matrix = status_matrix(cycle=cycle, details=False)
    selection = matrix_selection(matrix, theme="corruption", member_state="MEX")
    assert [r.number for r in selection.recommendations] == [12]
    assert [(s.iso3, [c.status for c in cells]) for s, cells in selection.rows] == [
        ("MEX", ["in_progress"])
    ]
    everything = matrix_selection(matrix)
    assert len(everything.rows) == len(matrix.participating)
    assert len(everything.recommendations) == 21


def test_the_matrix_filtered_by_theme_and_status(client, statuses):
    response = client.get(
        "/en/status/", {"theme": "corruption", "status": "fully_implemented"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert _header_numbers(html) == ["12"]
    assert _row_states(html) == ["/en/states/BRA/"]
    assert '<option value="corruption" selected>' in html
    assert "1 state shown" in html


def test_the_matrix_filtered_by_state(client, statuses):
    html = client.get("/en/status/", {"state": "mex"}).content.decode()
    assert _row_states(html) == ["/en/states/MEX/"]
    assert len(_header_numbers(html)) == 21
    # The returned update is no status: no link to it, "No information" instead.
    assert 'href="/en/states/MEX/recommendations/2/"' not in html
    assert RETURNED not in html


def test_a_filter_that_matches_nothing_says_so(client, statuses):
    html = client.get(
        "/en/status/", {"state": "ARG", "status": "fully_implemented"}
    ).content.decode()
    assert "No participating state has a status matching these filters." in html
    assert '<table class="matrix' not in html


def test_no_information_is_a_status_one_can_filter_by(client, statuses):
    html = client.get(
        "/en/status/", {"state": "MEX", "status": "no_information"}
    ).content.decode()
    assert "1" not in _header_numbers(html) and "12" not in _header_numbers(html)
    assert "2" in _header_numbers(html)  # returned: still no information


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"theme": "no-such-theme"}, "There is no theme “no-such-theme”."),
        ({"status": "excellent"}, "There is no status “excellent”."),
        ({"state": "XYZ"}, "There is no member state “XYZ”."),
        ({"state": "CUB"}, "There is no member state “CUB”."),  # not participating
        ({"status": "x" * 5000}, "There is no status"),
    ],
)
def test_invalid_filters_get_a_message_not_an_error(client, statuses, params, message):
    response = client.get("/en/status/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "The whole matrix is shown" in html
    assert len(_row_states(html)) == 32  # unfiltered


def test_the_downloads_carry_the_filters(client, statuses):
    html = client.get(
        "/en/status/", {"theme": "corruption", "status": "fully_implemented"}
    ).content.decode()
    query = "theme=corruption&amp;status=fully_implemented"
    assert f'href="/en/data/status.csv?{query}"' in html
    assert f'href="/en/data/status.xlsx?{query}"' in html
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/en/data/status.csv",
                    {"theme": "corruption", "status": "fully_implemented"},
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert [(r["member_state"], r["recommendation"]) for r in rows] == [("BRA", "12")]
    sheet = load_workbook(
        io.BytesIO(
            client.get(
                "/en/data/status.xlsx", {"state": "MEX", "status": "in_progress"}
            ).content
        )
    )["status"]
    assert sheet.max_row == 2 and sheet["A2"].value == "MEX"


def test_the_cycle_is_kept_by_the_form_and_the_downloads(client, statuses, cycle):
    html = client.get(
        "/en/status/", {"cycle": cycle.slug, "status": "in_progress"}
    ).content.decode()
    assert f'<input type="hidden" name="cycle" value="{cycle.slug}">' in html
    assert f"status=in_progress&amp;cycle={cycle.slug}" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("theme=nope", "There is no theme “nope”."),
        ("status=great", "There is no status “great”."),
        ("state=ZZZ", "There is no member state “ZZZ”."),
        ("recommendation=99", "There is no recommendation “99”."),
        ("recommendation=abc", "There is no recommendation “abc”."),
    ],
)
def test_a_download_with_an_invalid_filter_is_refused_with_a_message(
    client, statuses, query, message
):
    response = client.get(f"/en/data/status.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


def test_a_download_of_a_state_that_does_not_take_part_is_valid(client, statuses):
    # The states table has a row for every state; Cuba's is found.
    response = client.get("/en/data/states.csv?state=CUB")
    assert response.status_code == 200
    assert "CUB" in response.content.decode("utf-8-sig")


def _selected(html: str, name: str) -> str:
    select = html[html.index(f'<select name="{name}"') :]
    select = select[: select.index("</select>")]
    return select.split(" selected>", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]


def test_the_filters_show_what_was_chosen_in_the_reader_s_language(
    client, statuses, django_capture_on_commit_callbacks
):
    """The filters' fields are written once for each language, choices and values:
    each page still shows its own choice, in its own language, and a new participating
    state appears in the list at once."""
    assert _selected(client.get("/en/status/").content.decode(), "status") == ""
    chosen = client.get("/en/status/?status=in_progress&state=mex").content.decode()
    assert _selected(chosen, "status") == "in_progress"
    assert _selected(chosen, "state") == "MEX"
    assert _selected(client.get("/en/status/").content.decode(), "status") == ""
    spanish = client.get("/es/status/?status=in_progress").content.decode()
    assert _selected(spanish, "status") == "in_progress"
    assert "Todos los Estados" in spanish and "All states" not in spanish
    absent = MemberState.objects.filter(participating=False).first()
    option = f'<option value="{absent.iso3}">'
    assert option not in client.get("/en/status/").content.decode()
    absent.participating = True
    with django_capture_on_commit_callbacks(execute=True):  # the pages' cache goes
        absent.save()
    assert option in client.get("/en/status/").content.decode()
