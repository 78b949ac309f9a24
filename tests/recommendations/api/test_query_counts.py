"""Every list answers with a fixed number of SQL queries, however many rows it shows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations import services
from recommendations.models import MemberState
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/themes/",
    "/api/v1/recommendations/",
    "/api/v1/member-states/",
    "/api/v1/cycles/",
    "/api/v1/status/",
    "/api/v1/progress-updates/",
]


def queries(client, path: str) -> int:
    client.get(path)  # warm up what is cached per process (content types...)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def add_updates(focal, reviewer, state, numbers, accept: bool) -> None:
    for number in numbers:
        update = factories.progress_update(state, number, author=focal, steps=[])
        services.evidence_add(
            update=update,
            actor=focal,
            upload=SimpleUploadedFile(f"n{number}.txt", b"Minutes of the meeting."),
        )
        services.progress_update_submit(update=update, actor=focal)
        if accept:
            services.progress_update_accept(
                update=update, actor=reviewer, checklist=factories.ALL_CHECKED
            )
        else:
            services.progress_update_return(
                update=update, actor=reviewer, comment="Add dates."
            )


def add_pending(author, state, drafts, submitted) -> None:
    """Drafts and submitted updates: what each reader may do with them differs by the
    deadline, and by who took part."""
    reference = {"on_behalf_reference": "Note 1"}  # asked of the Secretariat
    for number in drafts:
        factories.progress_update(state, number, author=author, steps=[], **reference)
    for number in submitted:
        factories.progress_update(
            state, number, author=author, steps=["submit"], **reference
        )


@pytest.mark.parametrize("role", ["public", "focal_mex", "reviewer"])
def test_lists_make_as_many_queries_for_many_rows_as_for_one(
    api,
    who,
    role,
    focal_mex,
    focal_bra,
    reviewer,
    mexico,
    brazil,
    django_assert_num_queries,
):
    client = api(who(role))
    # Given one update of each kind
    add_updates(focal_mex, reviewer, mexico, [1], accept=True)
    add_updates(focal_mex, reviewer, mexico, [2], accept=False)
    add_pending(focal_mex, mexico, drafts=[20], submitted=[21])
    add_pending(reviewer, None, drafts=[], submitted=[22])
    few = {path: queries(client, path) for path in LISTS}

    # When there are many more, of several states, with files and comments
    add_updates(focal_mex, reviewer, mexico, range(3, 12), accept=True)
    add_updates(focal_mex, reviewer, mexico, range(12, 20), accept=False)
    add_updates(focal_bra, reviewer, brazil, range(1, 15), accept=True)
    add_updates(focal_bra, reviewer, brazil, range(15, 20), accept=False)
    add_pending(focal_mex, mexico, drafts=range(3, 7), submitted=range(7, 12))
    add_pending(reviewer, mexico, drafts=[], submitted=[1])  # the reviewer's own
    add_pending(focal_bra, brazil, drafts=range(1, 6), submitted=range(6, 11))

    # Then every list makes the same number of queries
    for path in LISTS:
        client.get(path)
        with django_assert_num_queries(few[path]):
            client.get(path)
    listed = client.get("/api/v1/progress-updates/").json()["count"]
    assert listed >= 24
    if role != "public":
        assert listed >= 40


def test_the_status_matrix_query_count_does_not_grow_with_states(api):
    client = api()
    before = queries(client, "/api/v1/status/")
    MemberState.objects.filter(participating=False).update(participating=True)

    assert queries(client, "/api/v1/status/") == before
