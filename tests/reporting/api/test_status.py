"""The published status matrix: the same numbers as the public pages, for everyone."""

import pytest

from recommendations import services
from recommendations.models import MemberState
from tests import factories
from tests.api_client import ROLES, error_of

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/status/"


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_same_published_matrix(
    api, who, role, mex_public, mex_draft
):
    body = api(who(role)).get(STATUS).json()

    participating = MemberState.objects.filter(participating=True).count()
    assert body["count"] == participating * 21 + 1
    assert set(body["results"][0]) == {
        "member_state",
        "recommendation",
        "status",
        "update",
    }
    mexico = {
        r["recommendation"]: r for r in body["results"] if r["member_state"] == "MEX"
    }
    assert mexico[5] == {
        "member_state": "MEX",
        "recommendation": 5,
        "status": "in_progress",
        "update": mex_public.pk,
    }
    # A draft is not published: "no information", never a fake status.
    assert mexico[3]["status"] == "no_information" and mexico[3]["update"] is None


def test_the_secretariats_own_recommendation_has_no_state(api):
    secretariat = rows(api().get(f"{STATUS}?member_state=secretariat"))

    assert secretariat == [
        {
            "member_state": None,
            "recommendation": 22,
            "status": "no_information",
            "update": None,
        }
    ]


def test_filters(api, mex_public, mex_confidential, cycle):
    theme = mex_public.recommendation.theme.slug

    by_state = rows(api().get(f"{STATUS}?member_state=mex"))
    by_number = rows(api().get(f"{STATUS}?recommendation=5"))
    by_theme = rows(api().get(f"{STATUS}?theme={theme}&member_state=MEX"))
    by_status = rows(api().get(f"{STATUS}?status=in_progress"))
    by_cycle = rows(api().get(f"{STATUS}?cycle={cycle.slug}&member_state=MEX"))

    assert len(by_state) == 21 and {r["member_state"] for r in by_state} == {"MEX"}
    assert {r["recommendation"] for r in by_number} == {5}
    assert len(by_number) == MemberState.objects.filter(participating=True).count()
    numbers = sorted(
        mex_public.recommendation.theme.recommendations.values_list("number", flat=True)
    )
    assert [r["recommendation"] for r in by_theme] == numbers
    assert {(r["member_state"], r["recommendation"]) for r in by_status} == {
        ("MEX", 5),
        ("MEX", 6),
    }
    assert by_cycle == by_state


def test_a_confidential_narrative_still_publishes_its_status(api, mex_confidential):
    row = rows(api().get(f"{STATUS}?member_state=MEX&recommendation=6"))[0]

    assert row["status"] == "in_progress" and row["update"] == mex_confidential.pk


def test_the_latest_accepted_update_is_the_status(
    api, focal_mex, reviewer, mex_public, mexico, cycle
):
    newer = factories.progress_update(
        mexico, 5, author=focal_mex, steps=["submit"], status="fully_implemented"
    )
    before = rows(api().get(f"{STATUS}?member_state=MEX&recommendation=5"))
    services.progress_update_accept(
        update=newer, actor=reviewer, checklist=factories.ALL_CHECKED
    )
    after = rows(api().get(f"{STATUS}?member_state=MEX&recommendation=5"))

    assert before[0]["update"] == mex_public.pk
    assert after[0] == {
        "member_state": "MEX",
        "recommendation": 5,
        "status": "fully_implemented",
        "update": newer.pk,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cycle=nope", "cycle"),
        ("member_state=XXX", "member_state"),
        ("member_state=CUB", "member_state"),  # not participating: not in the matrix
        ("theme=nope", "theme"),
        ("recommendation=99", "recommendation"),
        ("recommendation=3.0", "recommendation"),
        ("status=done", "status"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
    ],
)
def test_bad_filters_get_400(api, query, field):
    response = api().get(f"{STATUS}?{query}")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_the_whole_matrix_fits_in_a_page_but_pages_are_bounded(api):
    whole = api().get(STATUS).json()
    small = api().get(f"{STATUS}?page_size=10").json()

    assert whole["next"] is None
    assert len(small["results"]) == 10 and small["next"]


def test_no_cycle_at_all_gives_no_rows(api, cycle):
    cycle.updates.all().delete()
    cycle.delete()

    assert rows(api().get(STATUS)) == []
