"""The published shares of "advanced" statuses (largely or fully implemented), with
numbers worked out by hand on a small cycle, where a wrong formula gives another number.

The rules pinned here, as the portal applies them today:

- a state's share is over the 21 recommendations addressed to states (22 is the
  Secretariat's); "not applicable" and "no information" stay in the denominator;
- a theme's share is over its recommendations addressed to states x the participating
  states; a non-participating state's update counts nowhere;
- the report's overall and theme shares are over the participating states x 21 (x the
  theme's recommendations), less the "not applicable" statuses, which it says;
- "advanced" is largely or fully implemented, not fully implemented alone.

The cycle: Mexico, Brazil and Colombia participate (every other state is set not to),
Cuba does not but has an accepted update, and the Secretariat has its own on 22.

    state  1   2   3   4   5   6   7   8   13  14   advanced   share of 21
    MEX    F   L   L   NA  F   L   .   IP  L   .    6          6/21 = 29%
    BRA    L   .   .   .   .   .   F   .   F   P    3          3/21 = 14%
    COL    IP  .   .   .   .   .   .   .   L   NA   1          1/21 =  5%
    CUB    F   (not participating)                  1          1/21 =  5%

F fully, L largely, IP in progress, P planned, NA not applicable, "." no information.
"""

import json
import re
from collections import Counter

import pytest
from django.utils import timezone, translation

from recommendations.models import ADVANCED_STATUSES, MemberState
from reporting import pdf
from reporting.selectors import hemispheric_summary, status_matrix
from tests import factories

pytestmark = pytest.mark.django_db

PARTICIPATING = ["BRA", "COL", "MEX"]
STATUSES = {
    "MEX": {
        1: "fully_implemented",
        2: "largely_implemented",
        3: "largely_implemented",
        4: "not_applicable",
        5: "fully_implemented",
        6: "largely_implemented",
        8: "in_progress",
        13: "largely_implemented",
    },
    "BRA": {
        1: "largely_implemented",
        7: "fully_implemented",
        13: "fully_implemented",
        14: "planned",
    },
    "COL": {1: "in_progress", 13: "largely_implemented", 14: "not_applicable"},
    "CUB": {1: "fully_implemented"},
}
STATE_SHARES = {"MEX": 6 / 21, "BRA": 3 / 21, "COL": 1 / 21, "CUB": 1 / 21}
# Advanced cells over (the theme's recommendations to states x 3 participating).
THEME_SHARES = {
    "multidimensional-approach": 2 / 3,  # rec 1: MEX F, BRA L; COL IP; CUB not counted
    "the-role-of-technology-and-capacity-building": 2 / 9,  # 2, 3, 4: MEX L, L, NA
    "preventing-trafficking-in-persons-in-the-supply-chain": 3 / 9,  # MEX 5, 6; BRA 7
    "financial-investigations-and-intelligence": 0.0,  # 8 to 11: MEX IP
    "corruption": 0.0,
    "public-awareness-and-capacity-building": 3 / 6,  # 13: MEX L, BRA F, COL L
    "trauma-informed-victim-and-survivor-centered-assistance": 0.0,
    "follow-up": 0.0,  # 21 alone: the Secretariat's 22 (fully) is not counted
}
# The report's overall share: 10 advanced cells of 3 participating x 21 = 63.
OVERALL_SHARE = 10 / 63  # 16%; counting "fully" alone would give 4/63, 6%


@pytest.fixture
def published(cycle, focal_mex, focal_bra, reviewer, secretariat_admin):
    """The cycle of the module docstring, every update filed and accepted."""
    MemberState.objects.exclude(iso3__in=PARTICIPATING).update(participating=False)
    authors = {
        "MEX": focal_mex,
        "BRA": focal_bra,
        "COL": factories.focal_point("COL"),
        "CUB": factories.focal_point("CUB"),
    }
    for iso3, statuses in STATUSES.items():
        state = MemberState.objects.get(iso3=iso3)
        for number, status in statuses.items():
            factories.progress_update(
                state,
                number,
                author=authors[iso3],
                reviewer=reviewer,
                cycle=cycle,
                status=status,
            )
    factories.progress_update(
        None,
        22,
        author=secretariat_admin,
        reviewer=reviewer,
        cycle=cycle,
        status="fully_implemented",
    )
    return cycle


def test_the_selectors_compute_each_share_by_hand(published):
    matrix = status_matrix(cycle=published)

    states = {state.iso3: state for state in matrix.states}
    assert {
        iso3: matrix.advanced_share_of_state(states[iso3]) for iso3 in STATE_SHARES
    } == pytest.approx(STATE_SHARES)
    # A state with nothing accepted is at zero, not left out.
    assert matrix.advanced_share_of_state(states["ARG"]) == 0.0

    themes = {row.theme.slug: row.advanced_share for row in matrix.themes()}
    assert themes == pytest.approx(THEME_SHARES)

    summary = hemispheric_summary(matrix)
    assert (summary.participating, summary.reporting) == (3, 3)
    assert summary.counts == Counter(
        fully_implemented=4,
        largely_implemented=6,
        in_progress=2,
        planned=1,
        not_applicable=2,
        no_information=48,
    )
    advanced = sum(summary.counts[status] for status in ADVANCED_STATUSES)
    assert advanced / sum(summary.counts.values()) == pytest.approx(OVERALL_SHARE)
    # The summary ranks themes by share, most advanced first; ties by position.
    assert [row.theme.slug for row in summary.themes][:4] == [
        "multidimensional-approach",
        "public-awareness-and-capacity-building",
        "preventing-trafficking-in-persons-in-the-supply-chain",
        "the-role-of-technology-and-capacity-building",
    ]


def table_cells(html: str, name: str) -> list[str]:
    """The cells of the table row whose header names ``name``, as plain text."""
    row = re.search(
        rf"<tr>\s*<th scope=\"row\">(?:<a [^>]*>)?{re.escape(name)}.*?</tr>",
        html,
        re.DOTALL,
    )
    assert row, f"no row for {name}"
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def test_the_states_page_and_the_map_show_each_states_share(client, published):
    html = client.get("/en/states/").content.decode()
    assert table_cells(html, "Mexico") == ["8 of 21", "29%"]  # 6/22 would be 27%
    assert table_cells(html, "Brazil") == ["4 of 21", "14%"]
    assert table_cells(html, "Colombia") == ["3 of 21", "5%"]
    assert table_cells(html, "Cuba") == ["1 of 21", "5%"]
    assert table_cells(html, "Argentina") == ["0 of 21", "No information"]

    html = client.get("/en/status/map/").content.decode()
    assert "Mexico: 29% largely or fully implemented" in html
    assert "Brazil: 14% largely or fully implemented" in html
    assert "Colombia: 5% largely or fully implemented" in html
    assert "Cuba: not participating" in html


def rows_by(client, path: str, key: str) -> dict[str, dict]:
    document = json.loads(client.get(path).content)
    return {row[key]: row for row in document["rows"]}


def test_the_open_data_carries_the_shares_to_four_decimals(client, published):
    states = rows_by(client, "/en/data/states.json", "member_state")
    assert {iso3: states[iso3]["advanced_share"] for iso3 in STATE_SHARES} == {
        "MEX": 0.2857,
        "BRA": 0.1429,
        "COL": 0.0476,
        "CUB": 0.0476,
    }
    assert states["CUB"]["participating"] is False
    themes = rows_by(client, "/en/data/themes.json", "theme")
    assert {slug: row["advanced_share"] for slug, row in themes.items()} == {
        slug: round(share, 4) for slug, share in THEME_SHARES.items()
    }
    assert themes["multidimensional-approach"]["advanced_share"] == 0.6667
    assert themes["public-awareness-and-capacity-building"]["advanced_share"] == 0.5


def report_html(cycle, member_state=None) -> tuple[dict, str]:
    """The report's context and HTML, as the PDF is made from them (in English)."""
    spec = pdf.ReportSpec(
        cycle=cycle, member_state=member_state, language="en", as_of=timezone.now()
    )
    with translation.override("en"):
        context = pdf.build(pdf.gather(spec))
        return context, pdf.render_html(context)


def test_the_reports_executive_summary_gives_the_overall_and_theme_shares(published):
    """The report leaves "not applicable" out of its shares, and says so: 10 advanced
    of the 63 statuses less the 2 not applicable."""
    context, html = report_html(published)

    assert context["summary"]["advanced_share"] == "16.4%"  # 10/61; with n/a: 15.9%
    assert (
        "of the 63 statuses of the 3 participating states on the 21 recommendations, "
        "2 are “Not applicable” and are left out; of the other 61, 10 (16.4%) are "
        "largely or fully implemented." in html
    )
    assert "Response rate: 3 of the 3 participating member states (100%)" in html
    shares = {str(row["title"]): row["share"] for row in context["summary"]["themes"]}
    assert shares == {
        "Multidimensional approach": "67%",  # 2/3; over all 35 states: 6%
        "Public awareness and capacity building": "60%",  # 3/(6 - COL's n/a on 14)
        "Preventing trafficking in persons in the supply chain": "33%",
        "The role of technology and capacity building": "25%",  # 2/(9 - MEX's n/a)
        "Financial investigations and intelligence": "0%",
        "Corruption": "0%",
        "Trauma-informed, victim- and survivor-centered assistance": "0%",
        "Follow-up": "0%",
    }
    assert (
        "Advanced most: Multidimensional approach (67%); "
        "Public awareness and capacity building (60%)." in html
    )
    assert table_cells(html, "Multidimensional approach") == ["67%", "2 / 3"]
    assert table_cells(html, "Public awareness and capacity building") == [
        "60%",
        "3 / 5",
    ]


def test_a_states_report_gives_its_share_of_the_21(published, mexico):
    context, html = report_html(published, mexico)
    assert context["state_summary"]["advanced_share"] == "29%"  # 6/21; 6/22 is 27%
    assert "29% of the 21 are largely or fully implemented." in html
    assert (
        "Mexico has an accepted update on 8 of the 21 recommendations addressed to "
        "member states." in html
    )
