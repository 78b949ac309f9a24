"""The start page each person lands on after signing in: what their roles have to
do next, and nothing of anyone else's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommendations import services
from recommendations.models import ProgressUpdate, ReportingCycle
from tests import factories

URL = "/en/start/"

pytestmark = pytest.mark.django_db


def start_page(client, user) -> str:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_public_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/en/accounts/login/?next={URL}"


def test_a_focal_point_sees_returned_updates_first_then_drafts_then_what_is_left(
    client, focal_mex, mex_returned, mex_draft, mex_public
):
    html = start_page(client, focal_mex)

    returned = html.index("Returned to you: 1 update to answer")
    drafts = html.index("1 draft to finish")
    left = html.index("recommendations not yet reported in this cycle")
    assert returned < drafts < left
    # The reviewer's comment where the focal point needs it, and a way to the update
    assert "Give the dates, please." in html
    assert f'href="/en/updates/{mex_returned.pk}/"' in html
    assert f'href="/en/updates/{mex_draft.pk}/"' in html
    # 21 recommendations are addressed to the states; 3 (draft), 4 (returned) and
    # 5 (accepted) have an update in the cycle
    assert "18 recommendations not yet reported in this cycle" in html
    assert 'href="/en/workspace/MEX/recommendations/1/new/"' in html
    assert 'href="/en/workspace/MEX/recommendations/5/new/"' not in html
    assert 'href="/en/workspace/MEX/recommendations/22/new/"' not in html


def test_a_focal_point_sees_the_days_to_its_deadline_in_the_cycles_time_zone(
    client, focal_mex, cycle
):
    html = start_page(client, focal_mex)

    days = (cycle.deadline - timezone.now()).days
    assert f"{days} days left." in html
    assert "America/New_York" in html
    assert 'href="/en/workspace/MEX/"' in html


def test_a_submitted_update_is_not_due(client, focal_mex, mex_submitted):
    html = start_page(client, focal_mex)

    assert "to answer" not in html
    assert "to finish" not in html
    assert "20 recommendations not yet reported" in html


def test_a_draft_made_from_a_returned_update_keeps_the_comment(
    client, focal_mex, mex_returned
):
    services.progress_update_edit(
        update=mex_returned,
        actor=focal_mex,
        content=factories.content(summary="With the dates."),
        expected_version=mex_returned.version,
    )
    html = start_page(client, focal_mex)

    assert "1 draft to finish" in html
    assert "to answer" not in html
    assert "Give the dates, please." in html


def test_a_focal_point_never_sees_another_states_work(
    client, focal_mex, bra_draft, reviewer
):
    brazil_returned = factories.progress_update(
        "BRA",
        7,
        author=bra_draft.author,
        steps=["submit", "return"],
        reviewer=reviewer,
        comment="Brazil: which ministry?",
    )

    html = start_page(client, focal_mex)

    assert "Brazil" not in html
    assert "which ministry" not in html
    assert f"/en/updates/{bra_draft.pk}/" not in html
    assert f"/en/updates/{brazil_returned.pk}/" not in html
    assert "/en/workspace/BRA/" not in html
    # Nor the Secretariat's sections
    assert "Review queue" not in html
    assert "participating member states have reported" not in html
    assert "The Secretariat's recommendations" not in html


def test_a_focal_point_of_two_states_sees_both(client, focal_mex, brazil, bra_draft):
    from accounts.models import Role
    from accounts.services import user_assign_role

    user_assign_role(user=focal_mex, role=Role.FOCAL_POINT, member_state=brazil)

    html = start_page(client, focal_mex)

    assert "Brazil: what is due" in html
    assert "Mexico: what is due" in html
    assert f"/en/updates/{bra_draft.pk}/" in html


def test_a_reviewer_sees_the_queue_and_the_update_waiting_longest(
    client, reviewer, focal_mex, focal_bra, cycle
):
    oldest = factories.progress_update("MEX", 4, author=focal_mex, steps=["submit"])
    factories.progress_update("BRA", 5, author=focal_bra, steps=["submit"])
    factories.progress_update("BRA", 6, author=focal_bra, steps=["submit"])
    ProgressUpdate.objects.filter(pk=oldest.pk).update(
        submitted_at=timezone.now() - timedelta(days=9)
    )

    html = start_page(client, reviewer)

    assert "Review queue" in html
    assert "3 updates wait for review" in html
    assert "from 2 member states." in html
    assert "Waiting longest:" in html
    assert f'href="/en/updates/{oldest.pk}/"' in html
    assert "waiting for 1\xa0week, 2\xa0days." in html
    assert 'href="/en/review/"' in html
    # Not a state's work list: the Secretariat reads every state but reports for none
    # as its own
    assert "Mexico: what is due" not in html
    # Coverage is the admins' follow-up
    assert "participating member states have reported" not in html


def test_a_reviewer_sees_the_secretariats_own_recommendation(client, reviewer):
    html = start_page(client, reviewer)

    assert "The Secretariat's recommendations: what is due" in html
    assert 'href="/en/workspace/secretariat/recommendations/22/new/"' in html
    assert "/en/workspace/secretariat/recommendations/1/new/" not in html


def test_an_empty_queue_says_so(client, reviewer):
    html = start_page(client, reviewer)

    assert "Nothing is waiting for review." in html


def test_a_secretariat_admin_sees_coverage_and_the_queue(
    client, secretariat_admin, mex_submitted, bra_draft
):
    html = start_page(client, secretariat_admin)

    assert "1 of 32 participating member states have reported in this cycle." in html
    assert "Not reported yet: 31 states" in html
    # Brazil has only a draft: it has not reported
    silent = html[html.index("Not reported yet") :]
    assert "Brazil" in silent
    assert "Mexico" not in silent
    assert 'href="/en/review/coverage/"' in html
    assert "1 update waits for review" in html


def test_a_person_without_a_role_is_told_so(client):
    html = start_page(client, factories.UserFactory())

    assert "Your account has no role in the portal yet" in html
    assert "what is due" not in html
    assert "Review queue" not in html


def test_without_an_open_cycle_nothing_is_due(client, focal_mex, reviewer, cycle):
    ReportingCycle.objects.filter(pk=cycle.pk).update(is_open=False)

    assert "No reporting cycle is open" in start_page(client, focal_mex)
    assert "No reporting cycle is open" in start_page(client, reviewer)


def test_the_navigation_links_to_the_start_page(client, focal_mex):
    html = start_page(client, focal_mex)

    assert f'<a href="{URL}" aria-current="page">My work</a>' in html


def _queries(client, user) -> int:
    client.force_login(user)
    client.get(URL)  # the security policy, then cached, is read once a process
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_start_page_costs_the_same_queries_however_much_data(
    client, focal_mex, secretariat_admin, reviewer, django_assert_max_num_queries
):
    # A focal point and an admin, with a little data
    factories.progress_update("MEX", 1, author=focal_mex, steps=["submit"])
    factories.progress_update(
        "MEX", 2, author=focal_mex, steps=["submit", "return"], reviewer=reviewer
    )
    small = (_queries(client, focal_mex), _queries(client, secretariat_admin))

    # When every state has much more
    for number in range(3, 12):
        factories.progress_update(
            "MEX",
            number,
            author=focal_mex,
            steps=["submit", "return"],
            reviewer=reviewer,
        )
    for number in range(12, 18):
        factories.progress_update("MEX", number, author=focal_mex, steps=[])
    for iso3 in ("BRA", "ARG", "CHL", "COL"):
        author = factories.focal_point(iso3)
        for number in range(1, 6):
            factories.progress_update(iso3, number, author=author, steps=["submit"])

    # Then the pages cost the same
    assert (_queries(client, focal_mex), _queries(client, secretariat_admin)) == small
    client.force_login(secretariat_admin)
    with django_assert_max_num_queries(18):
        client.get(URL)
