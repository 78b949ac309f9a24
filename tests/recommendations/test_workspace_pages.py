"""The focal point's pages: what a person sees and what the database keeps."""

import time

import pytest

from accounts.sessions import LAST_SEEN_KEY
from recommendations import services
from recommendations.models import ProgressUpdate, Recommendation, ReviewState
from tests.factories import content

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "status": "in_progress",
        "summary": "Training for labour inspectors started in three states.",
        "narrative": "Details.",
        "narrative_language": "en",
        "narrative_visibility": "public",
        "challenges": "",
        "measures-TOTAL_FORMS": "2",
        "measures-INITIAL_FORMS": "0",
        "measures-0-kind": "training",
        "measures-0-title": "Course for labour inspectors",
        "measures-0-date": "2026-05-01",
        "measures-0-link": "",
        "measures-1-kind": "",
        "measures-1-title": "",
        "needs-TOTAL_FORMS": "1",
        "needs-INITIAL_FORMS": "0",
        "needs-0-kind": "",
        "needs-0-description": "",
        "action": "save",
    }
    data.update(overrides)
    return data


def seen_just_now(client) -> None:
    """Mark the session as seen this second. The session notes a request at most once
    a minute (accounts.sessions.session_idle_expired), with three more queries; filing
    hundreds of updates between two measured requests can take longer than that on a
    loaded machine, which made the counts differ (16 and 19) for that reason alone."""
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time())
    session.save()


def test_the_form_shows_the_scale_with_definitions_and_the_victim_warning(
    client, focal_mex
):
    client.force_login(focal_mex)
    html = client.get("/en/workspace/MEX/recommendations/8/new/").content.decode()
    assert "Largely implemented" in html
    assert "Most of what the recommendation asks is in place" in html
    assert "No update may identify a victim." in html


def test_filing_a_draft_with_a_measure(client, focal_mex):
    client.force_login(focal_mex)
    response = client.post("/en/workspace/MEX/recommendations/8/new/", form_data())
    update = ProgressUpdate.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/en/updates/{update.pk}/"
    )
    assert update.review_state == ReviewState.DRAFT
    assert update.measures.get().title == "Course for labour inspectors"
    assert update.author == focal_mex and not update.on_behalf


def test_save_and_submit_in_one_step(client, focal_mex):
    client.force_login(focal_mex)
    client.post("/en/workspace/MEX/recommendations/8/new/", form_data(action="submit"))
    assert ProgressUpdate.objects.get().review_state == ReviewState.SUBMITTED


def test_invalid_form_keeps_what_was_typed_and_saves_nothing(client, focal_mex):
    client.force_login(focal_mex)
    response = client.post(
        "/en/workspace/MEX/recommendations/8/new/",
        form_data(summary="", **{"measures-1-title": "A measure without type"}),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved: correct what is marked below." in html
    assert "Choose the type of measure." in html
    assert "A measure without type" in html
    assert not ProgressUpdate.objects.exists()


def test_a_script_in_the_narrative_comes_out_as_text(client, focal_mex, cycle, mexico):
    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=2),
        content=content(
            narrative='Hello <script>alert("x")</script> [a](javascript:alert(1))'
        ),
    )
    client.force_login(focal_mex)
    html = client.get(f"/en/updates/{update.pk}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert 'href="javascript:' not in html


def test_a_stale_save_is_refused_with_what_changed_and_keeps_the_text(
    client, focal_mex, reviewer, cycle, mexico
):
    # Given a draft that the focal point opened at version 1
    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=2),
        content=content(),
    )
    # When the Secretariat saves it first, and then the focal point saves
    services.progress_update_edit(
        update=update,
        actor=reviewer,
        content=content(summary="Corrected by the Secretariat."),
        expected_version=1,
    )
    client.force_login(focal_mex)
    response = client.post(
        f"/en/updates/{update.pk}/edit/",
        form_data(summary="My careful rewrite.", version="1"),
    )
    # Then the second save is refused, shows the change, and keeps the typed text
    html = response.content.decode()
    assert response.status_code == 409
    assert "Your changes were not saved" in html
    assert "Corrected by the Secretariat." in html
    assert "My careful rewrite." in html
    update.refresh_from_db()
    assert update.summary == "Corrected by the Secretariat."


def test_late_submission_page_says_why(client, focal_mex, cycle, mexico):
    from datetime import timedelta

    from django.utils import timezone

    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=2),
        content=content(),
    )
    cycle.deadline = timezone.now() - timedelta(minutes=5)
    cycle.save()
    client.force_login(focal_mex)
    response = client.post(f"/en/updates/{update.pk}/submit/", follow=True)
    assert "The deadline for submissions passed on" in response.content.decode()
    update.refresh_from_db()
    assert update.review_state == ReviewState.DRAFT


def test_dashboard_shows_status_pending_work_and_the_reviewers_comment(
    client, focal_mex, reviewer, cycle, mexico
):
    accepted = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=1),
        content=content(status="fully_implemented"),
    )
    services.progress_update_submit(update=accepted, actor=focal_mex)
    services.progress_update_accept(
        update=accepted,
        actor=reviewer,
        checklist=dict.fromkeys(services.REVIEW_CHECKLIST, True),
    )
    returned = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=2),
        content=content(),
    )
    services.progress_update_submit(update=returned, actor=focal_mex)
    services.progress_update_return(
        update=returned, actor=reviewer, comment="Name the law."
    )
    client.force_login(focal_mex)
    html = client.get("/en/workspace/MEX/").content.decode()
    assert "Fully implemented" in html
    assert "Returned" in html and "Name the law." in html
    assert "No information" in html  # the recommendations nobody reported on
    assert "days left" in html and "America/New_York" in html


def test_dashboard_queries_do_not_grow_with_the_number_of_updates(
    client, focal_mex, reviewer, cycle, mexico, django_assert_num_queries
):
    checklist = dict.fromkeys(services.REVIEW_CHECKLIST, True)
    client.force_login(focal_mex)

    def file_accepted(rounds: int) -> None:
        for _ in range(rounds):
            for number in range(1, 22):
                update = services.progress_update_create(
                    actor=focal_mex,
                    cycle=cycle,
                    member_state=mexico,
                    recommendation=Recommendation.objects.get(number=number),
                    content=content(),
                )
                services.progress_update_submit(update=update, actor=focal_mex)
                services.progress_update_accept(
                    update=update, actor=reviewer, checklist=checklist
                )

    file_accepted(1)
    client.get("/en/workspace/MEX/")  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen_just_now(client)
    with CaptureQueriesContext(connection) as one:
        client.get("/en/workspace/MEX/")
    # Counted now: the capture is a window on the connection's log of the last 9,000
    # queries, which filing hundreds of updates moves past.
    expected = len(one.captured_queries)
    file_accepted(19)
    assert ProgressUpdate.objects.filter(recommendation__number=5).count() == 20
    seen_just_now(client)
    with django_assert_num_queries(expected):
        response = client.get("/en/workspace/MEX/")
    assert response.status_code == 200


def test_dashboard_queries_do_not_grow_with_the_number_of_pending_updates(
    client, focal_mex, reviewer, cycle, mexico, django_assert_num_queries
):
    def file_returned(numbers: range) -> None:
        for number in numbers:
            update = services.progress_update_create(
                actor=focal_mex,
                cycle=cycle,
                member_state=mexico,
                recommendation=Recommendation.objects.get(number=number),
                content=content(),
            )
            services.progress_update_submit(update=update, actor=focal_mex)
            services.progress_update_return(
                update=update, actor=reviewer, comment=f"Say more on {number}."
            )

    client.force_login(focal_mex)
    file_returned(range(1, 2))
    client.get("/en/workspace/MEX/")  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen_just_now(client)
    with CaptureQueriesContext(connection) as one:
        client.get("/en/workspace/MEX/")
    file_returned(range(2, 22))
    seen_just_now(client)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/en/workspace/MEX/")
    assert response.content.decode().count("Say more on") == 21
