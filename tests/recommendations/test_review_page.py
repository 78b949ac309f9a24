"""The reviewer's page: the update beside the recommendation, the state's previously
accepted update and what changed since; and the Secretariat's latest comment at the
top of the update's page."""

import re
from datetime import date

import pytest
from django.utils.html import escape

from recommendations import permissions, services
from recommendations.models import ProgressUpdate, ReportingCycle
from recommendations.services import MeasureData
from tests import factories
from tests.factories import content

pytestmark = pytest.mark.django_db

COMMENT = "Name the law and give its date, please."
CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)


@pytest.fixture
def accepted(focal_mex, mexico, secretariat_admin, cycle) -> ProgressUpdate:
    """Mexico's accepted update on recommendation 3: planned, one measure."""
    return factories.progress_update(
        mexico,
        3,
        author=focal_mex,
        reviewer=secretariat_admin,
        status="planned",
        summary="A national plan is drafted by three ministries.",
        narrative="The committee met twice.",
        measures=[
            MeasureData(kind="policy", title="National action plan"),
            MeasureData(kind="awareness", title="Radio campaign"),
        ],
    )


@pytest.fixture
def resubmitted(accepted, focal_mex, reviewer) -> ProgressUpdate:
    """Mexico's next update on recommendation 3, returned by Rita with a comment,
    revised and submitted again."""
    update = factories.progress_update(
        "MEX",
        3,
        author=focal_mex,
        reviewer=reviewer,
        steps=["submit", "return"],
        comment=COMMENT,
        status="in_progress",
        summary="A national plan is adopted by three ministries.",
        narrative="The committee met twice.",
        measures=[
            MeasureData(kind="policy", title="National action plan"),
            MeasureData(kind="training", title="Course for <b>judges</b>"),
        ],
    )
    update = services.progress_update_edit(
        update=update,
        actor=focal_mex,
        content=content(
            status="in_progress",
            summary="A national plan is adopted by three ministries.",
            narrative="The committee met four times.",
            measures=[
                MeasureData(kind="policy", title="National action plan"),
                MeasureData(
                    kind="training",
                    title="Course for <b>judges</b>",
                    date=date(2026, 3, 1),
                ),
            ],
        ),
        expected_version=update.version,
    )
    return services.progress_update_submit(update=update, actor=focal_mex)


def review_page(client, update):
    return client.get(f"/en/review/{update.pk}/")


def section(html: str, heading: str) -> str:
    """The HTML of the section whose heading says ``heading``."""
    match = re.search(
        rf"<section[^>]*>\s*<h2[^>]*>{re.escape(heading)}</h2>(.*?)</section>",
        html,
        re.S,
    )
    assert match, f"no section {heading!r}"
    return match.group(1)


def test_the_reviewer_sees_the_recommendation_with_its_theme(
    client, reviewer, resubmitted
):
    client.force_login(reviewer)

    html = review_page(client, resubmitted).content.decode()

    recommendation = section(html, "Recommendation 3")
    text = escape(resubmitted.recommendation.text)
    assert text in recommendation
    assert escape(resubmitted.recommendation.theme.title) in recommendation


def test_the_recommendation_s_text_is_in_the_reader_s_language_or_said_not_to_be(
    client, reviewer, resubmitted
):
    client.force_login(reviewer)
    html = client.get(f"/es/review/{resubmitted.pk}/").content.decode()
    recommendation = section(html, "Recomendación 3")
    translation = resubmitted.recommendation.translated
    if translation.text.language == "es":
        assert escape(translation.text.text) in recommendation
    else:
        assert 'lang="en"' in recommendation


def test_the_reviewer_sees_the_previously_accepted_update(
    client, reviewer, accepted, resubmitted, cycle
):
    client.force_login(reviewer)

    html = review_page(client, resubmitted).content.decode()

    previous = section(html, "Previously accepted update")
    assert '<span class="status status--planned">Planned</span>' in previous
    assert "<time datetime=" in previous
    assert escape(cycle.name) in previous
    assert "previous cycle" not in previous
    assert f'href="/en/updates/{accepted.pk}/"' in previous


def test_the_reviewer_sees_what_changed_since_word_by_word(
    client, reviewer, resubmitted
):
    client.force_login(reviewer)

    html = review_page(client, resubmitted).content.decode()

    changes = section(html, "What changed since")
    assert "status--planned" in changes and "status--in_progress" in changes
    assert re.search(r"<del><span[^>]*>Removed: </span>drafted ?<", changes)
    assert re.search(r"<ins><span[^>]*>Added: </span>adopted ?<", changes)
    assert re.search(r"<del><span[^>]*>Removed: </span>twice", changes)
    assert re.search(r"<ins><span[^>]*>Added: </span>four times", changes)
    # The state's texts keep their language; what the state wrote is escaped
    assert '<div class="diff" lang="en">' in changes
    assert "Course for &lt;b&gt;judges&lt;/b&gt;" in changes
    assert "<b>judges</b>" not in html
    added = re.search(r"<strong>Added</strong>: <ins>(.*?)</ins>", changes, re.S)
    assert "Training: Course for &lt;b&gt;judges&lt;/b&gt;" in added.group(1)
    assert "March 1, 2026" in added.group(1)
    removed = re.search(r"<strong>Removed</strong>: <del>(.*?)</del>", changes, re.S)
    assert "Awareness: Radio campaign" in removed.group(1)
    assert "National action plan" not in changes


def test_the_reviewer_sees_the_comment_the_update_was_returned_with(
    client, reviewer, resubmitted
):
    client.force_login(reviewer)

    html = review_page(client, resubmitted).content.decode()

    comment = section(html, "The Secretariat's latest comment")
    assert COMMENT in comment
    assert f"Returned by {reviewer.get_full_name()} on" in comment


def test_a_first_update_says_there_is_no_previously_accepted_one(
    client, reviewer, mex_submitted
):
    client.force_login(reviewer)

    html = review_page(client, mex_submitted).content.decode()

    assert "No previously accepted update" in section(
        html, "Previously accepted update"
    )
    assert "What changed since" not in html


def test_an_update_of_the_previous_cycle_is_labelled_as_such(
    client, reviewer, accepted, resubmitted, cycle
):
    earlier = ReportingCycle.objects.create(
        instrument=cycle.instrument,
        name="Seventh Meeting",
        slug="seventh-meeting",
        meeting="Seventh Meeting",
        period_start=date(2022, 1, 1),
        period_end=date(2023, 12, 31),
        deadline=cycle.deadline.replace(year=2023),
    )
    ProgressUpdate.objects.filter(pk=accepted.pk).update(cycle=earlier)
    client.force_login(reviewer)

    html = review_page(client, resubmitted).content.decode()

    previous = section(html, "Previously accepted update")
    assert "Seventh Meeting" in previous and "previous cycle" in previous


def test_the_review_page_offers_only_the_review(client, reviewer, resubmitted):
    # Rita holds the right to withdraw a submitted update on Mexico's behalf (on
    # its update page); the review page offers only the review.
    client.force_login(reviewer)
    assert permissions.allowed_actions(reviewer, resubmitted).review

    html = review_page(client, resubmitted).content.decode()

    assert f'action="/en/updates/{resubmitted.pk}/review/"' in html
    assert "Record the decision" in html
    assert "Withdraw" not in html
    assert f"/en/updates/{resubmitted.pk}/withdraw/" not in html
    assert f"/en/updates/{resubmitted.pk}/edit/" not in html
    assert f"/en/updates/{resubmitted.pk}/delete/" not in html
    assert f"/en/updates/{resubmitted.pk}/evidence/" not in html


def test_a_reviewer_who_took_part_gets_no_review_form(
    client, reviewer, focal_mex, mexico, cycle
):
    update = factories.progress_update(
        mexico,
        7,
        author=reviewer,
        steps=["submit"],
        on_behalf_reference="Note MEX-7/2026",
    )
    client.force_login(reviewer)

    html = review_page(client, update).content.decode()

    assert "someone else must review it" in html
    assert "Record the decision" not in html and "Withdraw" not in html


def test_the_queue_leads_to_the_review_page(client, reviewer, resubmitted):
    client.force_login(reviewer)
    html = client.get("/en/review/").content.decode()
    assert f'href="/en/review/{resubmitted.pk}/"' in html


def test_accepting_from_the_review_page(client, reviewer, resubmitted):
    client.force_login(reviewer)
    html = review_page(client, resubmitted).content.decode()
    action = re.search(r'<form method="post" action="([^"]+/review/)"', html).group(1)

    response = client.post(
        action,
        {"decision": "accept", **{f"check_{key}": "on" for key in CHECKLIST}},
    )

    assert response.status_code == 302
    resubmitted.refresh_from_db()
    assert (
        resubmitted.review_state == "accepted" and resubmitted.reviewed_by == reviewer
    )


# --- Denials ---------------------------------------------------------------------


def test_another_state_s_focal_point_cannot_see_the_review_page(
    client, focal_bra, resubmitted
):
    client.force_login(focal_bra)
    response = review_page(client, resubmitted)
    assert response.status_code == 404
    assert COMMENT.encode() not in response.content


def test_the_state_s_own_focal_point_may_not_review(client, focal_mex, resubmitted):
    client.force_login(focal_mex)

    assert review_page(client, resubmitted).status_code == 403
    response = client.post(
        f"/en/updates/{resubmitted.pk}/review/",
        {"decision": "accept", **{f"check_{key}": "on" for key in CHECKLIST}},
    )

    assert response.status_code == 403
    resubmitted.refresh_from_db()
    assert resubmitted.review_state == "submitted"


def test_another_state_s_focal_point_cannot_withdraw_or_review(
    client, focal_bra, resubmitted
):
    client.force_login(focal_bra)
    for step in ("withdraw/", "review/"):
        response = client.post(
            f"/en/updates/{resubmitted.pk}/{step}",
            {"decision": "return", "comment": "Intruder."},
        )
        assert response.status_code == 404
    resubmitted.refresh_from_db()
    assert resubmitted.review_state == "submitted"


def test_the_public_is_sent_to_sign_in(client, resubmitted):
    response = review_page(client, resubmitted)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_the_review_page_s_queries_do_not_grow_with_the_update(
    client, reviewer, accepted, resubmitted, django_assert_max_num_queries
):
    client.force_login(reviewer)
    review_page(client, resubmitted)  # sessions, permissions' caches
    many = [
        MeasureData(kind="training", title=f"Course {n}", date=date(2026, 1, n))
        for n in range(1, 21)
    ]
    for update in (accepted, resubmitted):
        for measure in many:
            update.measures.create(**measure.__dict__)

    with django_assert_max_num_queries(22):
        response = review_page(client, resubmitted)

    assert response.status_code == 200


# --- The comment at the top of the update's page ------------------------------------


def top_of(html: str) -> str:
    """The page from its heading to the update's facts."""
    return html[html.index("<h1") : html.index('<dl class="facts"')]


def test_the_focal_point_sees_the_return_comment_at_the_top(
    client, focal_mex, reviewer, mex_returned
):
    client.force_login(focal_mex)

    html = client.get(f"/en/updates/{mex_returned.pk}/").content.decode()

    top = top_of(html)
    assert "Returned by the Secretariat" in top
    assert "Give the dates, please." in top
    assert f"Returned by {reviewer.get_full_name()} on <time datetime=" in top


def test_the_comment_stays_on_top_once_resubmitted_and_goes_once_accepted(
    client, focal_mex, reviewer, secretariat_admin, resubmitted
):
    client.force_login(focal_mex)
    top = top_of(client.get(f"/en/updates/{resubmitted.pk}/").content.decode())
    assert "The Secretariat's latest comment" in top and COMMENT in top

    services.progress_update_accept(
        update=resubmitted, actor=secretariat_admin, checklist=CHECKLIST
    )

    top = top_of(client.get(f"/en/updates/{resubmitted.pk}/").content.decode())
    assert COMMENT not in top


def test_an_update_never_returned_shows_no_comment(client, focal_mex, mex_submitted):
    client.force_login(focal_mex)
    html = client.get(f"/en/updates/{mex_submitted.pk}/").content.decode()
    assert "Returned by" not in top_of(html)
