"""The workflow of DESIGN.md, enforced by the services whoever calls them."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from recommendations import services
from recommendations.models import (
    ProgressUpdate,
    Recommendation,
    ReviewState,
    UpdateEvent,
)
from recommendations.services import StaleUpdateError, WorkflowError
from tests.factories import content

pytestmark = pytest.mark.django_db

ALL_CHECKED = dict.fromkeys(services.REVIEW_CHECKLIST, True)


@pytest.fixture
def draft(focal_mex, mexico, cycle):
    return services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=3),
        content=content(),
    )


@pytest.fixture
def submitted(draft, focal_mex):
    return services.progress_update_submit(update=draft, actor=focal_mex)


def history(update) -> list[tuple[str, str, str]]:
    return list(
        UpdateEvent.objects.filter(update=update).values_list(
            "action", "from_state", "to_state"
        )
    )


def test_the_full_cycle_of_an_update_is_recorded(draft, focal_mex, reviewer):
    services.progress_update_submit(update=draft, actor=focal_mex)
    services.progress_update_return(update=draft, actor=reviewer, comment="Add dates.")
    draft.refresh_from_db()
    services.progress_update_edit(
        update=draft,
        actor=focal_mex,
        content=content(summary="With dates now."),
        expected_version=draft.version,
    )
    services.progress_update_submit(update=draft, actor=focal_mex)
    services.progress_update_accept(update=draft, actor=reviewer, checklist=ALL_CHECKED)
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.ACCEPTED
    assert draft.reviewed_by == reviewer and draft.summary == "With dates now."
    assert history(draft) == [
        ("created", "", "draft"),
        ("submitted", "draft", "submitted"),
        ("returned", "submitted", "returned"),
        ("revised", "returned", "draft"),
        ("edited", "", ""),
        ("submitted", "draft", "submitted"),
        ("accepted", "submitted", "accepted"),
    ]
    returned = UpdateEvent.objects.get(update=draft, action="returned")
    assert returned.actor == reviewer and returned.comment == "Add dates."
    # Every step carries the version it produced and a snapshot of the content.
    versions = list(draft.events.values_list("version", flat=True))
    assert versions == sorted(versions) and versions[-1] == draft.version


def test_withdraw_before_review(submitted, focal_mex):
    services.progress_update_withdraw(update=submitted, actor=focal_mex)
    submitted.refresh_from_db()
    assert submitted.review_state == ReviewState.DRAFT


def test_a_reviewed_update_cannot_be_withdrawn(submitted, focal_mex, reviewer):
    services.progress_update_accept(
        update=submitted, actor=reviewer, checklist=ALL_CHECKED
    )
    with pytest.raises(WorkflowError, match="not yet reviewed can be withdrawn"):
        services.progress_update_withdraw(update=submitted, actor=focal_mex)


def test_accepted_updates_are_immutable_and_a_new_one_supersedes(
    submitted, focal_mex, reviewer, cycle, mexico
):
    services.progress_update_accept(
        update=submitted, actor=reviewer, checklist=ALL_CHECKED
    )
    submitted.refresh_from_db()
    with pytest.raises(WorkflowError, match="accepted update cannot change"):
        services.progress_update_edit(
            update=submitted,
            actor=focal_mex,
            content=content(summary="Changed"),
            expected_version=submitted.version,
        )
    newer = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=submitted.recommendation,
        content=content(status="fully_implemented"),
    )
    assert newer.supersedes == submitted
    # Until the new one is accepted, the state's status is still the old one.
    current = ProgressUpdate.objects.current().get(member_state=mexico)
    assert current == submitted
    services.progress_update_submit(update=newer, actor=focal_mex)
    services.progress_update_accept(update=newer, actor=reviewer, checklist=ALL_CHECKED)
    assert (
        ProgressUpdate.objects.current().get(member_state=mexico).status
        == "fully_implemented"
    )
    submitted.refresh_from_db()
    assert submitted.summary != "Changed"


def test_only_one_update_in_progress_per_recommendation(
    draft, focal_mex, cycle, mexico
):
    with pytest.raises(WorkflowError, match="already in progress"):
        services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=mexico,
            recommendation=draft.recommendation,
            content=content(),
        )
    assert ProgressUpdate.objects.count() == 1


@pytest.mark.parametrize("who", ["focal_mex", "reviewer"])
def test_nobody_reviews_an_update_they_wrote_or_changed(request, who, cycle, mexico):
    actor = request.getfixturevalue(who)
    update = services.progress_update_create(
        actor=actor,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=4),
        content=content(on_behalf_reference="Note verbale 12/2026"),
    )
    services.progress_update_submit(update=update, actor=actor)
    if who == "focal_mex":
        with pytest.raises(PermissionDenied):  # focal points never review
            services.progress_update_accept(
                update=update, actor=actor, checklist=ALL_CHECKED
            )
    else:
        with pytest.raises(WorkflowError, match="someone else must review"):
            services.progress_update_accept(
                update=update, actor=actor, checklist=ALL_CHECKED
            )
    update.refresh_from_db()
    assert update.review_state == ReviewState.SUBMITTED


def test_a_reviewer_who_edited_an_update_cannot_review_it(
    draft, reviewer, secretariat_admin
):
    services.progress_update_edit(
        update=draft,
        actor=reviewer,
        content=content(summary="Corrected by phone call."),
        expected_version=draft.version,
    )
    services.progress_update_submit(update=draft, actor=reviewer)
    with pytest.raises(WorkflowError, match="someone else must review"):
        services.progress_update_accept(
            update=draft, actor=reviewer, checklist=ALL_CHECKED
        )
    services.progress_update_accept(
        update=draft, actor=secretariat_admin, checklist=ALL_CHECKED
    )


def test_accepting_needs_the_whole_checklist(submitted, reviewer):
    with pytest.raises(ValidationError, match="Identifies no victim"):
        services.progress_update_accept(
            update=submitted,
            actor=reviewer,
            checklist={**ALL_CHECKED, "identifies_no_victim": False},
        )
    submitted.refresh_from_db()
    assert submitted.review_state == ReviewState.SUBMITTED


def test_returning_needs_a_comment(submitted, reviewer):
    with pytest.raises(ValidationError):
        services.progress_update_return(update=submitted, actor=reviewer, comment="  ")
    submitted.refresh_from_db()
    assert submitted.review_state == ReviewState.SUBMITTED


def test_only_submitted_updates_are_reviewed(draft, reviewer):
    with pytest.raises(WorkflowError, match="Only a submitted update"):
        services.progress_update_accept(
            update=draft, actor=reviewer, checklist=ALL_CHECKED
        )


def test_late_submission_is_refused_with_the_deadline(draft, focal_mex, cycle):
    cycle.deadline = timezone.now() - timedelta(hours=1)
    cycle.save()
    draft.refresh_from_db()
    with pytest.raises(
        WorkflowError,
        match=r"deadline for submissions passed on .* \(America/New_York\)",
    ):
        services.progress_update_submit(update=draft, actor=focal_mex)
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.DRAFT and draft.submitted_at is None


def test_an_extension_lets_the_state_submit(
    draft, focal_mex, cycle, mexico, secretariat_admin
):
    cycle.deadline = timezone.now() - timedelta(hours=1)
    cycle.save()
    services.extension_grant(
        actor=secretariat_admin,
        cycle=cycle,
        member_state=mexico,
        deadline=timezone.now() + timedelta(days=3),
        reason="Elections",
    )
    draft.refresh_from_db()
    draft = services.progress_update_submit(update=draft, actor=focal_mex)
    assert draft.review_state == ReviewState.SUBMITTED


def test_an_extension_for_another_state_does_not_help(
    focal_bra, brazil, cycle, mexico, secretariat_admin
):
    update = services.progress_update_create(
        actor=focal_bra,
        cycle=cycle,
        member_state=brazil,
        recommendation=Recommendation.objects.get(number=3),
        content=content(),
    )
    cycle.deadline = timezone.now() - timedelta(hours=1)
    cycle.save()
    services.extension_grant(
        actor=secretariat_admin,
        cycle=cycle,
        member_state=mexico,
        deadline=timezone.now() + timedelta(days=3),
    )
    update.refresh_from_db()
    with pytest.raises(WorkflowError, match="deadline for submissions passed"):
        services.progress_update_submit(update=update, actor=focal_bra)


def test_a_returned_update_can_be_resubmitted_after_the_deadline(
    submitted, focal_mex, reviewer, cycle
):
    services.progress_update_return(
        update=submitted, actor=reviewer, comment="Add sources."
    )
    cycle.deadline = timezone.now() - timedelta(days=1)
    cycle.save()
    submitted.refresh_from_db()
    resubmitted = services.progress_update_submit(update=submitted, actor=focal_mex)
    assert resubmitted.review_state == ReviewState.SUBMITTED


def test_nothing_changes_once_the_cycle_is_closed(
    draft, focal_mex, cycle, secretariat_admin
):
    services.cycle_close(actor=secretariat_admin, cycle=cycle)
    draft.refresh_from_db()
    with pytest.raises(WorkflowError, match="closed"):
        services.progress_update_submit(update=draft, actor=focal_mex)
    with pytest.raises(WorkflowError, match="closed"):
        services.progress_update_edit(
            update=draft,
            actor=focal_mex,
            content=content(),
            expected_version=draft.version,
        )


def test_a_stale_save_is_refused_and_says_what_changed(draft, focal_mex, reviewer):
    opened_at_version = draft.version
    services.progress_update_edit(
        update=draft,
        actor=reviewer,
        content=content(status="planned", summary="Reviewer fix."),
        expected_version=opened_at_version,
    )
    with pytest.raises(StaleUpdateError) as caught:
        services.progress_update_edit(
            update=draft,
            actor=focal_mex,
            content=content(summary="My own words."),
            expected_version=opened_at_version,
        )
    error = caught.value
    assert "saved this update after you opened it" in error.message
    fields = {change.field: (change.before, change.after) for change in error.changes}
    assert fields["Status"] == ("in_progress", "planned")
    assert fields["Public summary"][1] == "Reviewer fix."
    draft.refresh_from_db()
    assert (
        draft.summary == "Reviewer fix."
    )  # the first save stands, nothing overwritten


def test_the_secretariat_files_for_a_state_on_its_behalf(reviewer, cycle, mexico):
    with pytest.raises(ValidationError):
        services.progress_update_create(
            actor=reviewer,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=5),
            content=content(),
        )
    update = services.progress_update_create(
        actor=reviewer,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=5),
        content=content(on_behalf_reference="Note verbale MEX-031/2026"),
    )
    assert update.on_behalf and update.author == reviewer


def test_the_secretariat_files_its_own_update_on_recommendation_22(
    reviewer, cycle, focal_mex
):
    twenty_two = Recommendation.objects.get(number=22)
    update = services.progress_update_create(
        actor=reviewer,
        cycle=cycle,
        member_state=None,
        recommendation=twenty_two,
        content=content(),
    )
    assert update.member_state is None and not update.on_behalf
    with pytest.raises(PermissionDenied):
        services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=None,
            recommendation=twenty_two,
            content=content(),
        )


def test_recommendations_go_to_their_addressee(reviewer, focal_mex, cycle, mexico):
    with pytest.raises(ValidationError, match="addressed to the Secretariat"):
        services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=22),
            content=content(),
        )
    with pytest.raises(ValidationError, match="Choose the member state"):
        services.progress_update_create(
            actor=reviewer,
            cycle=cycle,
            member_state=None,
            recommendation=Recommendation.objects.get(number=2),
            content=content(),
        )


def test_the_other_states_focal_point_can_do_nothing(draft, focal_bra, cycle, mexico):
    before = (draft.version, draft.review_state, UpdateEvent.objects.count())
    for step in (
        services.progress_update_submit,
        services.progress_update_withdraw,
        services.progress_update_delete,
    ):
        with pytest.raises(PermissionDenied):
            step(update=draft, actor=focal_bra)
    with pytest.raises(PermissionDenied):
        services.progress_update_edit(
            update=draft,
            actor=focal_bra,
            content=content(),
            expected_version=draft.version,
        )
    with pytest.raises(PermissionDenied):
        services.progress_update_create(
            actor=focal_bra,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=8),
            content=content(),
        )
    draft.refresh_from_db()
    assert (draft.version, draft.review_state, UpdateEvent.objects.count()) == before
    assert ProgressUpdate.objects.count() == 1


def test_bad_input_is_refused_and_changes_nothing(draft, focal_mex):
    with pytest.raises(ValidationError):
        services.progress_update_edit(
            update=draft,
            actor=focal_mex,
            content=content(status="nearly_done"),
            expected_version=draft.version,
        )
    draft.refresh_from_db()
    assert draft.status == "in_progress" and draft.version == 1


def test_only_a_never_submitted_draft_can_be_deleted(submitted, focal_mex):
    services.progress_update_withdraw(update=submitted, actor=focal_mex)
    submitted.refresh_from_db()
    with pytest.raises(WorkflowError, match="never submitted can be deleted"):
        services.progress_update_delete(update=submitted, actor=focal_mex)
    assert ProgressUpdate.objects.filter(pk=submitted.pk).exists()


def test_saving_a_draft_someone_deleted_meanwhile_is_refused(draft, focal_mex):
    opened = ProgressUpdate.objects.get(pk=draft.pk)
    services.progress_update_delete(update=draft, actor=focal_mex)
    with pytest.raises(WorkflowError, match="deleted after you opened it"):
        services.progress_update_edit(
            update=opened,
            actor=focal_mex,
            content=content(summary="Too late."),
            expected_version=opened.version,
        )
    assert not ProgressUpdate.objects.filter(pk=draft.pk).exists()


def test_one_open_cycle_at_a_time(secretariat_admin, cycle):
    from datetime import date

    other = services.cycle_create(
        actor=secretariat_admin,
        name="Ninth",
        slug="ninth",
        meeting="Ninth Meeting",
        period_start=date(2027, 4, 1),
        period_end=date(2029, 3, 31),
        deadline=timezone.now() + timedelta(days=900),
        time_zone="America/Bogota",
    )
    with pytest.raises(WorkflowError, match="Close it before opening another"):
        services.cycle_open(actor=secretariat_admin, cycle=other)
    services.cycle_close(actor=secretariat_admin, cycle=cycle)
    services.cycle_open(actor=secretariat_admin, cycle=other)
    other.refresh_from_db()
    assert other.is_open


def test_cycles_need_a_real_time_zone_and_a_manager(secretariat_admin, reviewer):
    from datetime import date

    arguments = {
        "name": "X",
        "slug": "x",
        "meeting": "M",
        "period_start": date(2027, 1, 1),
        "period_end": date(2027, 2, 1),
        "deadline": timezone.now(),
    }
    with pytest.raises(ValidationError):
        services.cycle_create(
            actor=secretariat_admin, time_zone="Mars/Olympus", **arguments
        )
    with pytest.raises(PermissionDenied):
        services.cycle_create(actor=reviewer, time_zone="UTC", **arguments)
