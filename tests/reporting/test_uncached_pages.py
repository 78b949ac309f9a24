"""The uncached public pages and the status matrix, as made cheap for full scale
(bench/README.md): the same cells, links and counts, and a number of queries that does
not grow with the updates published."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations import services
from recommendations.models import MemberState
from reporting.selectors import public_cycle, status_matrix
from tests import factories

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)


@pytest.fixture
def publish(reviewer, cycle, django_capture_on_commit_callbacks):
    """Accept an update of each of ``count`` participating states on two
    recommendations; another reviewer accepts what this one entered."""
    states = list(MemberState.objects.filter(participating=True).order_by("pk")[:10])

    def publish(count: int) -> None:
        from tests.factories import secretariat

        for state in states[:count]:
            for number in (1, 2):
                factories.progress_update(
                    state,
                    number,
                    author=reviewer,
                    steps=["submit"],
                    reviewer=reviewer,
                    cycle=cycle,
                    on_behalf_reference="Note verbale 1/2026",
                    status="fully_implemented",
                )
        other = secretariat()
        with django_capture_on_commit_callbacks(execute=True):
            for update in cycle.updates.filter(review_state="submitted"):
                services.progress_update_accept(
                    update=update, actor=other, checklist=CHECKLIST
                )

    return publish


def _queries(client, path: str) -> int:
    cache.clear()
    client.cookies["sessionid"] = "none"  # rendered afresh, as after a change
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path", ["/en/states/MEX/", "/en/status/map/", "/en/themes/corruption/"]
)
def test_a_status_page_makes_as_many_queries_at_10x_as_at_1x(client, publish, path):
    publish(1)
    at_1x = _queries(client, path)
    publish(10)
    assert _queries(client, path) == at_1x


def test_the_state_page_counts_its_own_statuses_only(client, publish):
    publish(10)
    first, second = MemberState.objects.filter(participating=True).order_by("pk")[:2]
    html = client.get(f"/en/states/{first.iso3}/").content.decode()
    assert f'href="/en/states/{first.iso3}/recommendations/2/"' in html
    assert f'href="/en/states/{second.iso3}/recommendations/' not in html
    matrix = status_matrix(cycle=public_cycle(), details=False, member_state=first)
    assert {state for state, _r in matrix.cells} == {first.pk}
    # 2 of its 21, whatever the nine other states have.
    assert matrix.counts_for_state(first)["fully_implemented"] == 2


def test_the_dashboard_matrix_links_each_published_cell_and_names_every_cell(
    client, publish
):
    publish(2)
    html = client.get("/en/status/").content.decode()
    body = html[html.index('<table class="matrix') :]
    body = body[: body.index("</table>")]
    linked = body.count('<a class="matrix-cell status--fully_implemented"')
    assert linked == 4  # two states, two recommendations
    assert "Recommendation 1: Fully implemented" in body
    assert "Recommendation 3: No information" in body
    filtered = client.get("/en/status/", {"status": "fully_implemented"})
    assert "Recommendation 1: another status" not in filtered.content.decode()


def test_a_lean_matrix_reads_other_fields_when_asked_like_only(
    publish, django_assert_num_queries
):
    publish(1)
    matrix = status_matrix(cycle=public_cycle(), details=False)
    update = next(iter(matrix.cells.values()))
    with django_assert_num_queries(0):
        assert update.status == "fully_implemented"
        assert update.get_status_display() == "Fully implemented"
        assert update.member_state.participating
        assert update.get_absolute_url() == f"/en/updates/{update.pk}/"
    with django_assert_num_queries(1):
        assert update.on_behalf_reference == "Note verbale 1/2026"
    assert update == type(update).objects.get(pk=update.pk)
