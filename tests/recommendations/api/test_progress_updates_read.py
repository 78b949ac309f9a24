"""Who sees which updates through the API, and how much of each.

A focal point sees its own state's updates in full; of other states, and the public of
all states, only the accepted (published) ones, with their public parts: a confidential
narrative never leaves the state and the Secretariat.
"""

import pytest

from tests.api_client import ROLES, error_of

pytestmark = pytest.mark.django_db

LIST = "/api/v1/progress-updates/"
PRIVATE = ["author", "on_behalf_reference", "evidence", "review_comment"]


def detail(update) -> str:
    return f"{LIST}{update.pk}/"


@pytest.fixture
def data(mex_draft, mex_submitted, mex_public, mex_confidential, bra_draft):
    return {
        "mex_draft": mex_draft,
        "mex_submitted": mex_submitted,
        "mex_public": mex_public,
        "mex_confidential": mex_confidential,
        "bra_draft": bra_draft,
    }


# Which of the updates each role lists, and which of them in full.
SEES = {
    "public": {"mex_public", "mex_confidential"},
    "focal_mex": {"mex_draft", "mex_submitted", "mex_public", "mex_confidential"},
    "focal_bra": {"mex_public", "mex_confidential", "bra_draft"},
    "reviewer": {
        "mex_draft",
        "mex_submitted",
        "mex_public",
        "mex_confidential",
        "bra_draft",
    },
    "secretariat_admin": {
        "mex_draft",
        "mex_submitted",
        "mex_public",
        "mex_confidential",
        "bra_draft",
    },
}
IN_FULL = {
    "public": set(),
    "focal_mex": {"mex_draft", "mex_submitted", "mex_public", "mex_confidential"},
    "focal_bra": {"bra_draft"},
    "reviewer": SEES["reviewer"],
    "secretariat_admin": SEES["secretariat_admin"],
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_what_it_may_see(api, who, role, data):
    response = api(who(role)).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    names = {update.pk: name for name, update in data.items()}
    listed = {names[row["id"]] for row in body["results"]}
    assert listed == SEES[role]
    assert body["count"] == len(SEES[role])
    for row in body["results"]:
        full = names[row["id"]] in IN_FULL[role]
        assert (row["author"] is not None) == full, (role, names[row["id"]])
        assert (row["evidence"] is not None) == full


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "name",
    ["mex_draft", "mex_submitted", "mex_public", "mex_confidential", "bra_draft"],
)
def test_each_role_reads_an_update_or_gets_404(api, who, role, name, data):
    response = api(who(role)).get(detail(data[name]))

    if name not in SEES[role]:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
        return
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == data[name].pk
    if name in IN_FULL[role]:
        assert body["author"] == data[name].author.username
        assert body["narrative"] == data[name].narrative
    else:
        assert all(body[field] is None for field in PRIVATE)


def test_the_public_never_reads_a_confidential_narrative(api, mex_confidential):
    response = api().get(detail(mex_confidential))

    body = response.json()
    assert body["status"] == "in_progress"
    assert body["summary"] == mex_confidential.summary
    assert body["narrative"] is None and body["challenges"] is None
    assert "SECRET" not in response.content.decode()
    listed = api().get(LIST).content.decode()
    assert "SECRET" not in listed


def test_a_focal_point_of_another_state_sees_only_public_parts(
    api, focal_bra, mex_public, mex_confidential
):
    public = api(focal_bra).get(detail(mex_public)).json()
    confidential = api(focal_bra).get(detail(mex_confidential)).json()

    assert public["narrative"] == "Public narrative of Mexico."
    assert public["challenges"] == "Public challenges."
    assert public["author"] is None and public["evidence"] is None
    assert confidential["narrative"] is None
    assert "SECRET" not in str(api(focal_bra).get(LIST).json())


def test_the_state_and_the_secretariat_read_the_confidential_narrative(
    api, focal_mex, reviewer, mex_confidential
):
    for user in (focal_mex, reviewer):
        body = api(user).get(detail(mex_confidential)).json()
        assert body["narrative"] == "SECRET narrative of Mexico."
        assert body["challenges"] == "SECRET challenges."


def test_a_returned_update_carries_the_reviewers_comment(api, focal_mex, mex_returned):
    body = api(focal_mex).get(detail(mex_returned)).json()

    assert body["review_state"] == "returned"
    assert body["review_comment"] == "Give the dates, please."


def test_the_shape_of_an_update(api, focal_mex, mex_draft):
    body = api(focal_mex).get(detail(mex_draft)).json()

    assert body["cycle"] == "eighth-meeting"
    assert body["member_state"] == "MEX"
    assert body["recommendation"] == 3
    assert body["review_state"] == "draft"
    assert body["version"] == 1
    assert body["url"].endswith(detail(mex_draft))
    assert body["measures"] == [
        {"kind": "policy", "title": "National action plan", "date": None, "link": ""}
    ]
    assert body["assistance_needs"] == [
        {"kind": "training", "description": "Inspectors"}
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("member_state=MEX", {"mex_draft", "mex_submitted", "mex_public"}),
        ("member_state=bra", {"bra_draft"}),
        ("member_state=secretariat", set()),
        ("review_state=draft", {"mex_draft", "bra_draft"}),
        ("recommendation=3", {"mex_draft", "bra_draft"}),
        ("status=in_progress&review_state=accepted", {"mex_public"}),
        ("cycle=eighth-meeting&recommendation=5", {"mex_public"}),
    ],
)
def test_filters(
    api, reviewer, mex_draft, mex_submitted, mex_public, bra_draft, query, expected
):
    data = {
        "mex_draft": mex_draft,
        "mex_submitted": mex_submitted,
        "mex_public": mex_public,
        "bra_draft": bra_draft,
    }
    response = api(reviewer).get(f"{LIST}?{query}")

    assert response.status_code == 200
    names = {update.pk: name for name, update in data.items()}
    assert {names[row["id"]] for row in response.json()["results"]} == expected


def test_a_filter_by_theme(api, reviewer, mex_draft, bra_draft):
    theme = mex_draft.recommendation.theme.slug
    response = api(reviewer).get(f"{LIST}?theme={theme}")

    assert {row["id"] for row in response.json()["results"]} == {
        mex_draft.pk,
        bra_draft.pk,
    }


def test_filters_do_not_widen_what_a_role_sees(api, focal_bra, mex_draft):
    response = api(focal_bra).get(f"{LIST}?member_state=MEX&review_state=draft")

    assert response.json()["count"] == 0


def test_ordering(api, reviewer, mex_draft, mex_submitted, bra_draft):
    ascending = api(reviewer).get(f"{LIST}?ordering=created_at").json()["results"]
    descending = api(reviewer).get(f"{LIST}?ordering=-created_at").json()["results"]
    default = api(reviewer).get(LIST).json()["results"]

    order = [mex_draft.pk, mex_submitted.pk, bra_draft.pk]
    assert [row["id"] for row in ascending] == order
    assert [row["id"] for row in descending] == order[::-1]
    assert default == descending


def test_pagination_is_bounded(api, reviewer, mex_draft, mex_submitted, bra_draft):
    first = api(reviewer).get(f"{LIST}?page_size=2").json()
    second = api(reviewer).get(first["next"]).json()
    huge = api(reviewer).get(f"{LIST}?page_size=100000")

    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    assert len(second["results"]) == 1 and second["next"] is None
    assert huge.status_code == 200 and len(huge.json()["results"]) == 3
