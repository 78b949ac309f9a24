"""What a person may do with an update is one answer: ``allowed_actions`` says an
action is allowed exactly when its service accepts it, and the update's page shows
exactly those buttons.

Every role of the cast (tests/conftest.py) against an update in each review state, in
a cycle that is open, closed, past its deadline, or past it with an extension for
Mexico. Carla, another reviewer, files and reviews the updates the cases start from,
so that Rita and Alba never took part in them (except on purpose: Rita files one on
Mexico's behalf). The expected table below is DESIGN.md's, written out: denials count
as much as grants.
"""

import re
from dataclasses import asdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from recommendations import permissions, services
from recommendations.models import (
    CycleExtension,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
)
from recommendations.services import WorkflowError
from tests import factories
from tests.factories import content

pytestmark = pytest.mark.django_db

ROLES = ["public", "focal_mex", "focal_bra", "reviewer", "secretariat_admin"]
SECRETARIAT = {"reviewer", "secretariat_admin"}
CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)

# Mexico's update in each review state; "withdrawn" is a draft once submitted,
# "on_behalf" one the reviewer Rita filed and submitted for Mexico, "secretariat" the
# Secretariat's own draft on recommendation 22.
STATES = [
    "draft",
    "withdrawn",
    "submitted",
    "on_behalf",
    "returned",
    "accepted",
    "secretariat",
]
CYCLES = ["open", "closed", "past_deadline", "extended_for_mexico"]


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def colleague(db):
    return factories.secretariat(Role.REVIEWER, username="carla")


@pytest.fixture
def cast(focal_mex, focal_bra, reviewer, secretariat_admin) -> dict:
    return {
        "public": AnonymousUser(),
        "focal_mex": focal_mex,
        "focal_bra": focal_bra,
        "reviewer": reviewer,
        "secretariat_admin": secretariat_admin,
    }


def make_update(state: str, *, cycle, mexico, focal_mex, reviewer, colleague):
    """An update in ``state``, made through the services as people would."""
    author, member_state, number, reference = focal_mex, mexico, 3, ""
    if state == "on_behalf":
        author, reference = reviewer, "Note MEX-7/2026"
    if state == "secretariat":
        author, member_state, number = colleague, None, 22
    update = services.progress_update_create(
        actor=author,
        cycle=cycle,
        member_state=member_state,
        recommendation=Recommendation.objects.get(
            instrument__is_current=True, number=number
        ),
        content=content(on_behalf_reference=reference),
    )
    if state in ("withdrawn", "submitted", "on_behalf", "returned", "accepted"):
        services.progress_update_submit(update=update, actor=author)
    if state == "withdrawn":
        services.progress_update_withdraw(update=update, actor=author)
    if state == "returned":
        services.progress_update_return(
            update=update, actor=colleague, comment="Name the law."
        )
    if state == "accepted":
        services.progress_update_accept(
            update=update, actor=colleague, checklist=CHECKLIST
        )
    return update


def set_cycle(cycle: ReportingCycle, condition: str, mexico, colleague) -> None:
    if condition == "closed":
        cycle.is_open = False
    if condition in ("past_deadline", "extended_for_mexico"):
        cycle.deadline = timezone.now() - timedelta(hours=1)
    if condition == "extended_for_mexico":
        CycleExtension.objects.create(
            cycle=cycle,
            member_state=mexico,
            deadline=timezone.now() + timedelta(days=3),
            granted_by=colleague,
        )
    cycle.save()


def expected(role: str, state: str, condition: str) -> dict[str, bool]:
    """DESIGN.md's rules, written out for this case."""
    for_secretariat = state == "secretariat"
    changes = role in SECRETARIAT or (role == "focal_mex" and not for_secretariat)
    is_open = condition != "closed"
    late = condition == "past_deadline" or (
        condition == "extended_for_mexico" and for_secretariat
    )
    draft = state in ("draft", "withdrawn", "secretariat")
    change = changes and is_open
    took_part = state == "on_behalf" and role == "reviewer"
    return {
        "read_in_full": changes,
        "edit": change and (draft or state == "returned"),
        # A returned update may be resubmitted until the cycle closes.
        "submit": change and ((draft and not late) or state == "returned"),
        "withdraw": change and state in ("submitted", "on_behalf"),
        "delete": change and state in ("draft", "secretariat"),
        "review": role in SECRETARIAT
        and is_open
        and state in ("submitted", "on_behalf")
        and not took_part,
    }


def fresh(update: ProgressUpdate) -> ProgressUpdate:
    return ProgressUpdate.objects.select_related("cycle", "member_state").get(
        pk=update.pk
    )


def accepted_by_service(call) -> bool:
    """Whether the service accepts the call; nothing it did is kept."""
    try:
        with transaction.atomic():
            call()
            raise Rollback
    except Rollback:
        return True
    except (PermissionDenied, WorkflowError):
        return False


def service_outcomes(user, update: ProgressUpdate) -> dict[str, bool]:
    """Each action tried through its service, on the update as it is stored."""

    def can_read() -> None:
        permissions.get_update_for(user, update.pk)

    def edit() -> None:
        current = fresh(update)
        services.progress_update_edit(
            update=current,
            actor=user,
            content=content(summary="Changed.", on_behalf_reference="Note 9"),
            expected_version=current.version,
        )

    def attach() -> None:
        services.evidence_add(
            update=fresh(update),
            actor=user,
            upload=SimpleUploadedFile("minutes.txt", b"Minutes of the meeting."),
        )

    outcomes = {
        "edit": accepted_by_service(edit),
        "attach": accepted_by_service(attach),
        "submit": accepted_by_service(
            lambda: services.progress_update_submit(update=fresh(update), actor=user)
        ),
        "withdraw": accepted_by_service(
            lambda: services.progress_update_withdraw(update=fresh(update), actor=user)
        ),
        "delete": accepted_by_service(
            lambda: services.progress_update_delete(update=fresh(update), actor=user)
        ),
        "accept": accepted_by_service(
            lambda: services.progress_update_accept(
                update=fresh(update), actor=user, checklist=CHECKLIST
            )
        ),
        "return": accepted_by_service(
            lambda: services.progress_update_return(
                update=fresh(update), actor=user, comment="Say more."
            )
        ),
    }
    try:
        can_read()
    except Http404:
        outcomes["read_in_full"] = False
    else:
        outcomes["read_in_full"] = True
    return outcomes


def as_services_answer(actions: permissions.Actions) -> dict[str, bool]:
    """The answer in the services' terms: evidence goes with editing, accepting and
    returning with reviewing."""
    return {
        "read_in_full": actions.read_in_full,
        "edit": actions.edit,
        "attach": actions.edit,
        "submit": actions.submit,
        "withdraw": actions.withdraw,
        "delete": actions.delete,
        "accept": actions.review,
        "return": actions.review,
    }


@pytest.mark.parametrize("condition", CYCLES)
@pytest.mark.parametrize("state", STATES)
def test_an_action_is_allowed_exactly_when_its_service_accepts_it(
    cast, cycle, mexico, focal_mex, reviewer, colleague, state, condition
):
    # Given an update in this review state, and the cycle in this condition
    update = make_update(
        state,
        cycle=cycle,
        mexico=mexico,
        focal_mex=focal_mex,
        reviewer=reviewer,
        colleague=colleague,
    )
    set_cycle(cycle, condition, mexico, colleague)
    for role, user in cast.items():
        # When each person asks what they may do, and then tries every action
        actions = permissions.allowed_actions(user, fresh(update))
        outcomes = service_outcomes(user, update)

        # Then the answer is DESIGN.md's, and the services agree with it
        assert asdict(actions) == expected(role, state, condition), role
        assert as_services_answer(actions) == outcomes, role
        # And a list's answer, rights read once, is the same
        listed = permissions.for_actions(
            ProgressUpdate.objects.select_related("cycle"), user
        ).get(pk=update.pk)
        assert permissions.rights_of(user).actions(listed) == actions, role


# --- The page shows the same answer -------------------------------------------------

BUTTONS = {
    "edit": r'href="/en/updates/{pk}/edit/"',
    "submit": r'action="/en/updates/{pk}/submit/"',
    "withdraw": r'action="/en/updates/{pk}/withdraw/"',
    # A link to the confirmation page, which holds the form that deletes.
    "delete": r'href="/en/updates/{pk}/delete/"',
    "review": r'action="/en/updates/{pk}/review/"',
}


def buttons_on(html: str, pk: int) -> dict[str, bool]:
    return {
        name: re.search(pattern.format(pk=pk), html) is not None
        for name, pattern in BUTTONS.items()
    }


@pytest.mark.parametrize("condition", ["open", "closed", "past_deadline"])
@pytest.mark.parametrize("state", STATES)
def test_the_update_page_shows_the_buttons_allowed_actions_allows(
    client, cast, cycle, mexico, focal_mex, reviewer, colleague, state, condition
):
    update = make_update(
        state,
        cycle=cycle,
        mexico=mexico,
        focal_mex=focal_mex,
        reviewer=reviewer,
        colleague=colleague,
    )
    set_cycle(cycle, condition, mexico, colleague)
    for role, user in cast.items():
        if role == "public":
            continue  # the workspace is for signed-in people; tests elsewhere
        client.force_login(user)
        actions = permissions.allowed_actions(user, fresh(update))

        response = client.get(f"/en/updates/{update.pk}/")

        if not actions.read_in_full:
            assert response.status_code == 404, role
            continue
        html = response.content.decode()
        shown = buttons_on(html, update.pk)
        assert shown == {name: getattr(actions, name) for name in BUTTONS}, role
        attach = f'action="/en/updates/{update.pk}/evidence/"' in html
        assert attach == actions.edit, role


@pytest.mark.parametrize("condition", ["open", "closed", "past_deadline"])
@pytest.mark.parametrize("state", ["draft", "returned", "submitted"])
def test_the_form_offers_to_submit_only_when_a_submission_would_be_accepted(
    client, cycle, mexico, focal_mex, reviewer, colleague, state, condition
):
    update = make_update(
        state,
        cycle=cycle,
        mexico=mexico,
        focal_mex=focal_mex,
        reviewer=reviewer,
        colleague=colleague,
    )
    set_cycle(cycle, condition, mexico, colleague)
    client.force_login(focal_mex)
    actions = permissions.allowed_actions(focal_mex, fresh(update))

    response = client.get(f"/en/updates/{update.pk}/edit/", follow=True)

    html = response.content.decode()
    form_shown = 'name="action" value="save"' in html
    assert form_shown == actions.edit
    assert ('name="action" value="submit"' in html) == actions.submit
    if not actions.edit:
        assert response.redirect_chain == [(f"/en/updates/{update.pk}/", 302)]
        reason = (
            "is closed: its updates can no longer change"
            if condition == "closed"
            else "A submitted update cannot change"
        )
        assert reason in html


@pytest.mark.parametrize("past_deadline", [False, True])
def test_a_new_update_s_form_offers_to_submit_until_the_deadline(
    client, cycle, mexico, focal_mex, colleague, past_deadline
):
    if past_deadline:
        set_cycle(cycle, "past_deadline", mexico, colleague)
    client.force_login(focal_mex)

    html = client.get("/en/workspace/MEX/recommendations/3/new/").content.decode()

    assert 'name="action" value="save"' in html
    assert ('name="action" value="submit"' in html) is not past_deadline


def test_the_review_queue_marks_what_the_reviewer_took_part_in(
    client, cycle, mexico, focal_mex, reviewer, colleague
):
    # Given one submitted update Rita filed for Mexico, and one Mexico filed itself
    mine = make_update(
        "on_behalf",
        cycle=cycle,
        mexico=mexico,
        focal_mex=focal_mex,
        reviewer=reviewer,
        colleague=colleague,
    )
    services.progress_update_submit(
        update=services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(
                instrument__is_current=True, number=5
            ),
            content=content(),
        ),
        actor=focal_mex,
    )
    note = "You wrote or changed this update, so someone else must review it."

    # When Rita, then Carla, open the queue
    client.force_login(reviewer)
    for_rita = client.get("/en/review/").content.decode()
    client.force_login(colleague)
    for_carla = client.get("/en/review/").content.decode()

    # Then only Rita's own is marked, and only for her
    assert for_rita.count(note) == 1
    assert for_rita.index(f"/en/review/{mine.pk}/") < for_rita.index(note)
    assert note not in for_carla
