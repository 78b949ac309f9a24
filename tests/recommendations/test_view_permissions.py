"""Every role against every screen and action of the reporting workflow.

The cast (tests/conftest.py): the public, Maria (focal point of Mexico), Bruno (focal
point of Brazil, who should have no access to Mexico's stuff), Rita (Secretariat
reviewer) and Alba (Secretariat admin). Carla, another reviewer, files and reviews the
updates the tests start from, so that Rita and Alba never took part in them.

Each denial checks the status code and that the database did not change.
"""

import html
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from recommendations import services
from recommendations.models import (
    AssistanceNeed,
    CycleExtension,
    Evidence,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    UpdateEvent,
)
from recommendations.services import MeasureData, UpdateContent
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)
ACCEPT = {"decision": "accept", **{f"check_{key}": "on" for key in CHECKLIST}}
RETURN = {"decision": "return", "comment": "Say which institutions take part."}
LOGIN = "/en/accounts/login/?next="

# The updates every test starts from: Mexico's in each review state, and the
# Secretariat's own on recommendation 22.
MEXICO = ["draft", "submitted", "returned", "accepted"]
TARGETS = [*MEXICO, "secretariat"]
SECRETARIAT_ROLES = ["reviewer", "secretariat_admin"]
MAY_CHANGE_MEXICO = ["focal_mex", *SECRETARIAT_ROLES]


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def narrative(key: str) -> str:
    """A marker that must show only to those who may read the update."""
    return f"NARRATIVE-OF-{key.upper()}-7F3A"


def evidence_name(key: str) -> str:
    return f"evidence-of-{key}.pdf"


def content(key: str, *, visibility: str = "confidential", reference: str = ""):
    return UpdateContent(
        status="in_progress",
        summary=f"Summary of the {key} update.",
        narrative=f"The committee met. {narrative(key)}",
        narrative_visibility=visibility,
        on_behalf_reference=reference,
        measures=[MeasureData(kind="policy", title=f"Plan of the {key} update")],
    )


def rec(number: int) -> Recommendation:
    return Recommendation.objects.get(instrument__is_current=True, number=number)


def state(iso3: str) -> MemberState:
    return MemberState.objects.get(iso3=iso3)


@dataclass
class World:
    cycle: ReportingCycle
    updates: dict[str, ProgressUpdate]
    evidence: dict[str, Evidence]
    brazil_update: ProgressUpdate
    extension: CycleExtension

    def url(self, key: str, suffix: str = "") -> str:
        return f"/en/updates/{self.updates[key].pk}/{suffix}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    # A cheap hasher: five accounts per test, and passwords are not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def open_cycle(db) -> ReportingCycle:
    return ReportingCycle.objects.get(is_open=True)


@pytest.fixture
def colleague(db):
    """Another reviewer: files and reviews the updates the tests start from."""
    return factories.secretariat(Role.REVIEWER, username="carla")


@pytest.fixture
def world(
    open_cycle, focal_mex, focal_bra, reviewer, secretariat_admin, colleague, mexico
):
    """Mexico's updates in each review state, the Secretariat's, Brazil's; each with
    a file. Filed through the services, as portal/demo_updates.py does."""

    def file(actor, member_state, number, key, **kwargs):
        update = services.progress_update_create(
            actor=actor,
            cycle=open_cycle,
            member_state=member_state,
            recommendation=rec(number),
            content=content(key, **kwargs),
        )
        evidence[key] = services.evidence_add(
            update=update, actor=actor, upload=pdf(evidence_name(key))
        )
        updates[key] = update
        return update

    updates, evidence = {}, {}
    file(focal_mex, mexico, 16, "draft")
    submitted = file(focal_mex, mexico, 9, "submitted", visibility="public")
    services.progress_update_submit(update=submitted, actor=focal_mex)
    returned = file(focal_mex, mexico, 13, "returned")
    services.progress_update_submit(update=returned, actor=focal_mex)
    services.progress_update_return(
        update=returned, actor=colleague, comment="Add the dates."
    )
    accepted = file(focal_mex, mexico, 1, "accepted")
    services.progress_update_submit(update=accepted, actor=focal_mex)
    services.progress_update_accept(
        update=accepted, actor=colleague, checklist=CHECKLIST
    )
    own = file(colleague, None, 22, "secretariat")
    services.progress_update_submit(update=own, actor=colleague)

    brazil_update = file(focal_bra, state("BRA"), 5, "brazil")
    services.progress_update_submit(update=brazil_update, actor=focal_bra)
    extension = services.extension_grant(
        actor=secretariat_admin,
        cycle=open_cycle,
        member_state=mexico,
        deadline=open_cycle.deadline + timedelta(days=30),
        reason="Elections",
    )
    for update in updates.values():
        update.refresh_from_db()
    return World(open_cycle, updates, evidence, brazil_update, extension)


# --- What a request is, and what "nothing changed" means --------------------------


def management(prefix: str) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def update_form(summary: str, **extra) -> dict:
    return {
        "status": "planned",
        "summary": summary,
        "narrative": "Changed by a test.",
        "narrative_language": "en",
        "narrative_visibility": "confidential",
        "challenges": "",
        "action": "save",
        **management("measures"),
        **management("needs"),
        **extra,
    }


def cycle_form(**extra) -> dict:
    return {
        "name": "Towards the Ninth Meeting",
        "slug": "ninth-meeting",
        "meeting": "Ninth Meeting of National Authorities",
        "period_start": "2027-04-01",
        "period_end": "2029-03-31",
        "deadline": "2029-03-31T23:59",
        "time_zone": "America/New_York",
        **extra,
    }


EXTENSION_FORM = {"member_state": "BRA", "deadline": "2027-06-30T23:59"}


# Each builder answers (method, path, data) for the world of the test.
UPDATE_ACTIONS = {
    "detail": lambda w, k: ("get", w.url(k), None),
    "edit-form": lambda w, k: ("get", w.url(k, "edit/"), None),
    "edit": lambda w, k: (
        "post",
        w.url(k, "edit/"),
        update_form("Overwritten", version=w.updates[k].version),
    ),
    "submit": lambda w, k: ("post", w.url(k, "submit/"), None),
    "withdraw": lambda w, k: ("post", w.url(k, "withdraw/"), None),
    "delete": lambda w, k: ("post", w.url(k, "delete/"), None),
    "accept": lambda w, k: ("post", w.url(k, "review/"), ACCEPT),
    "return": lambda w, k: ("post", w.url(k, "review/"), RETURN),
    "evidence-upload": lambda w, k: (
        "post",
        w.url(k, "evidence/"),
        {"file": pdf("intruder.pdf")},
    ),
    "evidence-download": lambda w, k: (
        "get",
        f"/en/evidence/{w.evidence[k].pk}/",
        None,
    ),
    "evidence-delete": lambda w, k: (
        "post",
        f"/en/evidence/{w.evidence[k].pk}/delete/",
        None,
    ),
}

CYCLE = "/en/cycles/eighth-meeting/"
PAGES = {
    "workspace": lambda w: ("get", "/en/workspace/", None),
    "dashboard-mex": lambda w: ("get", "/en/workspace/MEX/", None),
    "dashboard-secretariat": lambda w: ("get", "/en/workspace/secretariat/", None),
    "new-mex-form": lambda w: ("get", "/en/workspace/MEX/recommendations/5/new/", None),
    "new-mex": lambda w: (
        "post",
        "/en/workspace/MEX/recommendations/5/new/",
        update_form("Filed by an intruder", on_behalf_reference="Note 1/2026"),
    ),
    "new-secretariat-form": lambda w: (
        "get",
        "/en/workspace/secretariat/recommendations/22/new/",
        None,
    ),
    "new-secretariat": lambda w: (
        "post",
        "/en/workspace/secretariat/recommendations/22/new/",
        update_form("Filed by an intruder"),
    ),
    "review-queue": lambda w: ("get", "/en/review/", None),
    "coverage": lambda w: ("get", "/en/review/coverage/", None),
    "cycles": lambda w: ("get", "/en/cycles/", None),
    "cycle-detail": lambda w: ("get", CYCLE, None),
    "cycle-new-form": lambda w: ("get", "/en/cycles/new/", None),
    "cycle-new": lambda w: ("post", "/en/cycles/new/", cycle_form()),
    "cycle-toggle": lambda w: ("post", f"{CYCLE}toggle/", None),
    "cycle-deadline": lambda w: (
        "post",
        f"{CYCLE}deadline/",
        cycle_form(name=w.cycle.name, slug=w.cycle.slug, deadline="2028-01-31T12:00"),
    ),
    "extension-grant": lambda w: ("post", f"{CYCLE}extensions/", EXTENSION_FORM),
    "extension-revoke": lambda w: (
        "post",
        f"{CYCLE}extensions/{w.extension.pk}/revoke/",
        None,
    ),
}
CYCLE_PAGES = [name for name in PAGES if name.startswith(("cycle", "extension"))]
SECRETARIAT_PAGES = [
    "dashboard-secretariat",
    "new-secretariat-form",
    "new-secretariat",
    "review-queue",
    "coverage",
    *CYCLE_PAGES,
]


def on_updates(targets, actions=UPDATE_ACTIONS) -> list[str]:
    return [f"{action}:{target}" for target in targets for action in actions]


def send(client, world: World, name: str, **kwargs):
    """Make the named request, as the client's user."""
    if ":" in name:
        action, target = name.split(":")
        method, path, data = UPDATE_ACTIONS[action](world, target)
    else:
        method, path, data = PAGES[name](world)
    return getattr(client, method)(path, data or {}, **kwargs)


def database(media_root: Path) -> dict:
    """Everything a workflow action could change, to compare before and after."""
    return {
        "updates": list(ProgressUpdate.objects.order_by("pk").values()),
        "events": list(UpdateEvent.objects.order_by("pk").values_list("pk", "action")),
        "evidence": list(Evidence.objects.order_by("pk").values()),
        "measures": list(Measure.objects.order_by("pk").values()),
        "needs": list(AssistanceNeed.objects.order_by("pk").values()),
        "cycles": list(ReportingCycle.objects.order_by("pk").values()),
        "extensions": list(CycleExtension.objects.order_by("pk").values()),
        "files": sorted(str(p) for p in media_root.rglob("*") if p.is_file()),
    }


def text(response) -> str:
    """The page as a person reads it: entities decoded."""
    if response.streaming:
        return ""
    return html.unescape(response.content.decode())


def private_data(world: World) -> list[str]:
    """What only the state's focal points and the Secretariat may read.

    Evidence is never published, nor a narrative here (confidential, or not yet
    accepted), nor the summary of an update that is not accepted.
    """
    keys = list(world.updates)
    return (
        [narrative(k) for k in keys]
        + [evidence_name(k) for k in keys]
        + [f"Summary of the {k} update." for k in keys if k != "accepted"]
    )


def log_in(client, request, role: str):
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def assert_denied(client, world, media_root, name, status):
    before = database(media_root)
    response = send(client, world, name)
    assert response.status_code == status, response
    assert database(media_root) == before
    leaked = [marker for marker in private_data(world) if marker in text(response)]
    assert leaked == []
    return response


# --- Denials ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [*PAGES, *on_updates(TARGETS)])
def test_the_public_is_sent_to_log_in_and_nothing_changes(
    client, world, media_root, name
):
    response = assert_denied(client, world, media_root, name, 302)
    assert response["Location"].startswith(LOGIN + "/en/")


@pytest.mark.parametrize("name", ["dashboard-mex", "new-mex-form", "new-mex"])
def test_focal_point_of_brazil_is_refused_mexico_s_workspace(
    client, request, world, media_root, name
):
    log_in(client, request, "focal_bra")
    assert_denied(client, world, media_root, name, 403)


@pytest.mark.parametrize("name", on_updates(TARGETS))
def test_focal_point_of_brazil_finds_no_update_of_mexico_or_the_secretariat(
    client, request, world, media_root, name
):
    log_in(client, request, "focal_bra")
    assert_denied(client, world, media_root, name, 404)


@pytest.mark.parametrize("name", on_updates(["secretariat", "brazil"]))
def test_focal_point_of_mexico_finds_no_update_of_brazil_or_the_secretariat(
    client, request, world, media_root, name
):
    log_in(client, request, "focal_mex")
    assert_denied(client, world, media_root, name, 404)


@pytest.mark.parametrize(
    "role, path",
    [
        ("focal_mex", "/en/workspace/MEX/recommendations/22/new/"),
        ("reviewer", "/en/workspace/MEX/recommendations/22/new/"),
        ("reviewer", "/en/workspace/secretariat/recommendations/5/new/"),
        ("secretariat_admin", "/en/workspace/secretariat/recommendations/5/new/"),
    ],
)
def test_nobody_files_on_a_recommendation_addressed_to_someone_else(
    client, request, world, media_root, role, path
):
    log_in(client, request, role)
    before = database(media_root)
    assert client.get(path).status_code == 404
    response = client.post(path, update_form("Misaddressed", on_behalf_reference="N"))
    assert response.status_code == 404
    assert database(media_root) == before


@pytest.mark.parametrize("name", on_updates(MEXICO, ["accept", "return"]))
def test_focal_point_of_mexico_never_reviews(client, request, world, media_root, name):
    log_in(client, request, "focal_mex")
    assert_denied(client, world, media_root, name, 403)


@pytest.mark.parametrize("name", SECRETARIAT_PAGES)
@pytest.mark.parametrize("role", ["focal_mex", "focal_bra"])
def test_focal_points_are_refused_the_secretariat_s_pages(
    client, request, world, media_root, role, name
):
    log_in(client, request, role)
    assert_denied(client, world, media_root, name, 403)


@pytest.mark.parametrize("name", CYCLE_PAGES)
def test_only_the_admin_manages_cycles(client, request, world, media_root, name):
    log_in(client, request, "reviewer")
    assert_denied(client, world, media_root, name, 403)


@pytest.mark.parametrize(
    "action, message",
    [
        ("edit-form", "An accepted update cannot change."),
        ("edit", "An accepted update cannot change."),
        ("evidence-upload", "An accepted update cannot change."),
        ("evidence-delete", "An accepted update cannot change."),
        ("submit", "Only a draft can be submitted; this update is accepted."),
        ("withdraw", "Only a submitted update that is not yet reviewed can be"),
        ("delete", "Only a draft that was never submitted can be deleted."),
    ],
)
@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_nobody_changes_an_accepted_update(
    client, request, world, media_root, role, action, message
):
    log_in(client, request, role)
    before = database(media_root)

    response = send(client, world, f"{action}:accepted", follow=True)

    assert response.redirect_chain == [(world.url("accepted"), 302)]
    assert message in text(response)
    assert database(media_root) == before


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_a_draft_that_was_once_submitted_is_not_deleted(
    client, request, world, media_root, role, focal_mex
):
    services.progress_update_withdraw(
        update=world.updates["submitted"], actor=focal_mex
    )
    log_in(client, request, role)
    before = database(media_root)

    response = send(client, world, "delete:submitted", follow=True)

    assert response.redirect_chain == [(world.url("submitted"), 302)]
    assert "Only a draft that was never submitted can be deleted." in text(response)
    assert database(media_root) == before


# --- Reading ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, target",
    [("focal_mex", key) for key in MEXICO]
    + [(role, key) for role in SECRETARIAT_ROLES for key in TARGETS],
)
def test_those_who_may_read_an_update_see_all_of_it(
    client, request, world, role, target
):
    log_in(client, request, role)

    page = send(client, world, f"detail:{target}")
    download = send(client, world, f"evidence-download:{target}")

    assert page.status_code == 200
    assert narrative(target) in text(page)
    assert evidence_name(target) in text(page)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert evidence_name(target) in download["Content-Disposition"]


def test_the_public_pages_show_no_confidential_narrative_or_evidence(client, world):
    pages = ["/en/", "/en/recommendations/"] + [
        f"/en/recommendations/{u.recommendation.number}/"
        for u in world.updates.values()
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        leaked = [m for m in private_data(world) if m in text(response)]
        assert leaked == [], path
        assert "/en/evidence/" not in text(response)


def test_focal_point_goes_from_the_workspace_to_its_state(client, request, world):
    log_in(client, request, "focal_mex")
    response = client.get("/en/workspace/")
    assert response.status_code == 302
    assert response["Location"] == "/en/workspace/MEX/"


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_s_workspace_lists_every_state_and_its_own(
    client, request, world, role
):
    log_in(client, request, role)
    page = text(client.get("/en/workspace/"))
    assert 'href="/en/workspace/secretariat/"' in page
    assert 'href="/en/workspace/MEX/"' in page and 'href="/en/workspace/BRA/"' in page


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_mexico_s_dashboard_lists_mexico_s_updates_only(client, request, world, role):
    log_in(client, request, role)
    response = client.get("/en/workspace/MEX/")
    assert response.status_code == 200
    page = text(response)
    for key in MEXICO:
        assert f'href="{world.url(key)}"' in page, key
    assert f'href="{world.url("secretariat")}"' not in page
    assert f'href="/en/updates/{world.brazil_update.pk}/"' not in page


def test_brazil_s_dashboard_shows_nothing_of_mexico(client, request, world):
    log_in(client, request, "focal_bra")

    home = client.get("/en/workspace/")
    response = client.get("/en/workspace/BRA/")

    assert home["Location"] == "/en/workspace/BRA/"
    assert response.status_code == 200
    page = text(response)
    assert f'href="/en/updates/{world.brazil_update.pk}/"' in page
    for key in TARGETS:
        assert f'href="{world.url(key)}"' not in page, key
        assert world.updates[key].summary not in page
    assert "/en/workspace/MEX/" not in page


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_s_own_dashboard_lists_its_update(client, request, world, role):
    log_in(client, request, role)
    response = client.get("/en/workspace/secretariat/")
    assert response.status_code == 200
    assert f'href="{world.url("secretariat")}"' in text(response)
    assert f'href="{world.url("draft")}"' not in text(response)


# --- Changing Mexico's updates ------------------------------------------------------


def test_focal_point_files_an_update_for_its_state(client, request, world, focal_mex):
    log_in(client, request, "focal_mex")
    form = client.get("/en/workspace/MEX/recommendations/5/new/")
    assert form.status_code == 200
    assert 'name="on_behalf_reference"' not in text(form)

    response = client.post(
        "/en/workspace/MEX/recommendations/5/new/",
        update_form("Mexico's plan for supply chains."),
        follow=True,
    )

    update = ProgressUpdate.objects.get(member_state__iso3="MEX", recommendation=rec(5))
    assert response.redirect_chain == [(f"/en/updates/{update.pk}/", 302)]
    assert "Draft saved." in text(response)
    assert update.author == focal_mex and update.on_behalf is False
    assert update.review_state == ReviewState.DRAFT
    assert update.summary == "Mexico's plan for supply chains."


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_files_for_a_state_only_with_a_reference(
    client, request, world, role
):
    user = log_in(client, request, role)
    path = "/en/workspace/MEX/recommendations/5/new/"
    assert 'name="on_behalf_reference"' in text(client.get(path))
    count = ProgressUpdate.objects.count()

    # Without the reference of the state's note, nothing is filed.
    refused = client.post(path, update_form("From a note verbale."))
    assert refused.status_code == 200
    assert "This field is required." in text(refused)
    assert ProgressUpdate.objects.count() == count

    response = client.post(
        path,
        update_form("From a note verbale.", on_behalf_reference="Note MEX-123/2026"),
    )
    update = ProgressUpdate.objects.get(member_state__iso3="MEX", recommendation=rec(5))
    assert response.status_code == 302
    assert update.author == user and update.on_behalf is True
    assert update.on_behalf_reference == "Note MEX-123/2026"
    assert "entered by the Secretariat on the state's behalf (Note MEX-123/2026)" in (
        text(client.get(f"/en/updates/{update.pk}/"))
    )


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_files_its_own_update(client, request, open_cycle, role):
    user = log_in(client, request, role)
    path = "/en/workspace/secretariat/recommendations/22/new/"
    assert 'name="on_behalf_reference"' not in text(client.get(path))

    response = client.post(path, update_form("The Secretariat's follow-up."))

    update = ProgressUpdate.objects.get(member_state=None, recommendation=rec(22))
    assert response.status_code == 302
    assert update.author == user and update.on_behalf is False


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_a_draft_is_edited_submitted_and_withdrawn(client, request, world, role):
    log_in(client, request, role)
    draft = world.updates["draft"]
    assert client.get(world.url("draft", "edit/")).status_code == 200

    # When the draft is saved with the version that was opened
    saved = client.post(
        world.url("draft", "edit/"),
        update_form("Rewritten summary.", version=draft.version),
        follow=True,
    )
    # Then it changes, one version up
    assert "Draft saved." in text(saved)
    changed = ProgressUpdate.objects.get(pk=draft.pk)
    assert (changed.summary, changed.version) == (
        "Rewritten summary.",
        draft.version + 1,
    )

    submitted = client.post(world.url("draft", "submit/"), follow=True)
    assert "Submitted to the Secretariat for review." in text(submitted)
    assert ProgressUpdate.objects.get(pk=draft.pk).review_state == "submitted"

    withdrawn = client.post(world.url("draft", "withdraw/"), follow=True)
    assert "Withdrawn: the update is a draft again." in text(withdrawn)
    assert ProgressUpdate.objects.get(pk=draft.pk).review_state == "draft"


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_a_stale_edit_is_refused_and_changes_nothing(
    client, request, world, media_root, role
):
    log_in(client, request, role)
    before = database(media_root)
    response = client.post(
        world.url("draft", "edit/"),
        update_form("Too late.", version=world.updates["draft"].version - 1),
    )
    assert response.status_code == 409
    assert "Your changes were not saved" in text(response)
    assert database(media_root) == before


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_a_returned_update_is_revised(client, request, world, role):
    log_in(client, request, role)
    returned = world.updates["returned"]
    response = client.post(
        world.url("returned", "edit/"),
        update_form("With the dates.", version=returned.version),
    )
    assert response.status_code == 302
    revised = ProgressUpdate.objects.get(pk=returned.pk)
    assert (revised.review_state, revised.summary) == ("draft", "With the dates.")


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_an_unsubmitted_draft_is_deleted(client, request, world, role):
    log_in(client, request, role)
    response = client.post(world.url("draft", "delete/"), follow=True)
    assert response.redirect_chain == [("/en/workspace/MEX/", 302)]
    assert "Draft deleted." in text(response)
    assert not ProgressUpdate.objects.filter(pk=world.updates["draft"].pk).exists()
    assert not Evidence.objects.filter(pk=world.evidence["draft"].pk).exists()


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_evidence_is_attached_downloaded_and_removed(
    client, request, world, role, media_root
):
    user = log_in(client, request, role)
    draft = world.updates["draft"]

    attached = client.post(
        world.url("draft", "evidence/"), {"file": pdf("decree.pdf")}, follow=True
    )
    assert "“decree.pdf” attached." in text(attached)
    evidence = Evidence.objects.get(update=draft, original_name="decree.pdf")
    assert evidence.uploaded_by == user

    download = client.get(f"/en/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    cache_control = {d.strip() for d in download["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control and "public" not in cache_control

    removed = client.post(f"/en/evidence/{evidence.pk}/delete/", follow=True)
    assert "File removed." in text(removed)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert Evidence.objects.filter(update=draft).count() == 1


@pytest.mark.parametrize("role", MAY_CHANGE_MEXICO)
def test_evidence_cannot_be_attached_to_a_submitted_update(
    client, request, world, media_root, role
):
    log_in(client, request, role)
    before = database(media_root)
    response = send(client, world, "evidence-upload:submitted", follow=True)
    assert "A submitted update cannot change." in text(response)
    assert database(media_root) == before


# --- Reviewing ----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["submitted", "secretariat"])
@pytest.mark.parametrize(
    "decision, state, message",
    [
        ("accept", "accepted", "Accepted: the update is now the state's status."),
        ("return", "returned", "Returned to the state with your comment."),
    ],
)
@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_reviews_a_submitted_update(
    client, request, world, role, target, decision, state, message
):
    user = log_in(client, request, role)
    page = text(send(client, world, f"detail:{target}"))
    assert "Record the decision" in page

    response = send(client, world, f"{decision}:{target}", follow=True)

    assert response.redirect_chain == [("/en/review/", 302)]
    assert message in text(response)
    update = ProgressUpdate.objects.get(pk=world.updates[target].pk)
    assert update.review_state == state and update.reviewed_by == user


def _wrote_it_on_behalf(user, focal_mex, cycle, mexico):
    update = services.progress_update_create(
        actor=user,
        cycle=cycle,
        member_state=mexico,
        recommendation=rec(2),
        content=content("own", reference="Note MEX-7/2026"),
    )
    services.progress_update_submit(update=update, actor=focal_mex)
    return update


def _by_mexico(focal_mex, cycle, mexico, *, evidence=False):
    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=rec(2),
        content=content("own"),
    )
    if evidence:
        services.evidence_add(update=update, actor=focal_mex, upload=pdf())
    return update


def _edited_it(user, focal_mex, cycle, mexico):
    update = _by_mexico(focal_mex, cycle, mexico)
    services.progress_update_edit(
        update=update,
        actor=user,
        content=content("own", reference="Note MEX-8/2026"),
        expected_version=update.version,
    )
    services.progress_update_submit(update=update, actor=focal_mex)
    return update


def _attached_evidence(user, focal_mex, cycle, mexico):
    update = _by_mexico(focal_mex, cycle, mexico)
    services.evidence_add(update=update, actor=user, upload=pdf())
    services.progress_update_submit(update=update, actor=focal_mex)
    return update


def _removed_evidence(user, focal_mex, cycle, mexico):
    update = _by_mexico(focal_mex, cycle, mexico, evidence=True)
    services.evidence_remove(evidence=update.evidence.get(), actor=user)
    services.progress_update_submit(update=update, actor=focal_mex)
    return update


def _submitted_it(user, focal_mex, cycle, mexico):
    update = _by_mexico(focal_mex, cycle, mexico)
    services.progress_update_submit(update=update, actor=user)
    return update


TOOK_PART = {
    "wrote-it-on-behalf": _wrote_it_on_behalf,
    "edited-it": _edited_it,
    "attached-evidence": _attached_evidence,
    "removed-evidence": _removed_evidence,
    "submitted-it": _submitted_it,
}


@pytest.mark.parametrize("decision", [ACCEPT, RETURN], ids=["accept", "return"])
@pytest.mark.parametrize("way", TOOK_PART)
@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_secretariat_never_reviews_an_update_it_took_part_in(
    client, request, world, media_root, focal_mex, mexico, role, way, decision
):
    # Given a submitted update of Mexico that the reviewer wrote or changed
    user = log_in(client, request, role)
    update = TOOK_PART[way](user, focal_mex, world.cycle, mexico)
    before = database(media_root)

    # When the reviewer records a decision on it
    response = client.post(f"/en/updates/{update.pk}/review/", decision)

    # Then it is refused, and the update still waits for someone else
    assert response.status_code == 302
    assert database(media_root) == before
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == "submitted"


def test_the_author_of_the_secretariat_s_update_does_not_review_it(
    client, world, media_root, colleague
):
    client.force_login(colleague)
    before = database(media_root)
    response = send(client, world, "accept:secretariat")
    assert response.status_code == 302
    assert database(media_root) == before


REFUSAL = {
    "own": "You wrote or changed this update, so someone else must review it.",
    "draft": "Only a submitted update can be reviewed; this one is draft.",
    "returned": "Only a submitted update can be reviewed; this one is returned.",
    "accepted": "Only a submitted update can be reviewed; this one is accepted.",
}


@pytest.mark.parametrize("target", REFUSAL)
@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_a_refused_review_tells_the_reviewer_why(
    client, request, world, media_root, focal_mex, mexico, role, target
):
    message = REFUSAL[target]
    user = log_in(client, request, role)
    if target == "own":
        update = _wrote_it_on_behalf(user, focal_mex, world.cycle, mexico)
    else:
        update = world.updates[target]
    before = database(media_root)

    response = client.post(f"/en/updates/{update.pk}/review/", ACCEPT, follow=True)

    assert response.redirect_chain[0] == (f"/en/updates/{update.pk}/", 302)
    assert database(media_root) == before
    assert message in text(response)


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_accepting_needs_the_whole_checklist(client, request, world, media_root, role):
    log_in(client, request, role)
    before = database(media_root)
    response = client.post(world.url("submitted", "review/"), {"decision": "accept"})
    assert response.status_code == 400
    assert "Before accepting, confirm every item of the checklist" in text(response)
    assert database(media_root) == before


# --- The review queue and coverage --------------------------------------------------


def _submitted_for(iso3: str, number: int, actor, cycle, days_ago: int = 0):
    update = services.progress_update_create(
        actor=actor,
        cycle=cycle,
        member_state=state(iso3),
        recommendation=rec(number),
        content=content(f"{iso3}-{number}", reference=f"Note {iso3}-{number}"),
    )
    services.progress_update_submit(update=update, actor=actor)
    submitted_at = timezone.now() - timedelta(days=days_ago)
    ProgressUpdate.objects.filter(pk=update.pk).update(submitted_at=submitted_at)
    return update


def queue_shows(client, query: str, updates: dict) -> set[str]:
    page = text(client.get(f"/en/review/{query}"))
    return {key for key, u in updates.items() if f'href="/en/review/{u.pk}/"' in page}


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_the_review_queue_filters_by_state_theme_recommendation_and_age(
    client, request, world, colleague, role
):
    # Given submitted updates across states, themes and ages, and others not submitted
    argentina_old = _submitted_for("ARG", 9, colleague, world.cycle, days_ago=20)
    argentina_week = _submitted_for("ARG", 10, colleague, world.cycle, days_ago=10)
    updates = {
        "mex-9": world.updates["submitted"],
        "bra-5": world.brazil_update,
        "arg-9": argentina_old,
        "arg-10": argentina_week,
        "secretariat-22": world.updates["secretariat"],
        **{f"mex-{key}": world.updates[key] for key in ("draft", "returned")},
        "mex-accepted": world.updates["accepted"],
    }
    log_in(client, request, role)
    theme = rec(9).theme.pk  # financial investigations: 8 to 11

    # Then each filter shows the submitted updates it asks for, and only those
    waiting = {"mex-9", "bra-5", "arg-9", "arg-10", "secretariat-22"}
    assert queue_shows(client, "", updates) == waiting
    assert queue_shows(client, "?state=MEX", updates) == {"mex-9"}
    assert queue_shows(client, "?state=ARG", updates) == {"arg-9", "arg-10"}
    assert queue_shows(client, f"?theme={theme}", updates) == {
        "mex-9",
        "arg-9",
        "arg-10",
    }
    assert queue_shows(client, "?recommendation=9", updates) == {"mex-9", "arg-9"}
    assert queue_shows(client, "?recommendation=22", updates) == {"secretariat-22"}
    assert queue_shows(client, "?age=7", updates) == {"arg-9", "arg-10"}
    assert queue_shows(client, "?age=14", updates) == {"arg-9"}
    assert queue_shows(client, "?age=30", updates) == set()
    assert queue_shows(client, "?state=ARG&age=14", updates) == {"arg-9"}
    assert queue_shows(client, "?state=BRA&theme=" + str(theme), updates) == set()


@pytest.mark.parametrize("role", SECRETARIAT_ROLES)
def test_coverage_lists_the_states_that_have_not_reported(
    client, request, world, colleague, role
):
    # Given Mexico and Brazil submitted, Argentina has only a draft, Chile nothing
    services.progress_update_create(
        actor=colleague,
        cycle=world.cycle,
        member_state=state("ARG"),
        recommendation=rec(3),
        content=content("arg", reference="Note ARG-1"),
    )
    log_in(client, request, role)

    response = client.get("/en/review/coverage/")

    assert response.status_code == 200
    page = text(response)
    silent = page[page.index('id="silent-heading"') : page.index('id="matrix-heading"')]
    assert "30 states have not reported at all" in silent
    for name in ("Argentina", "Chile", "Canada", "Uruguay"):
        assert f"<li>{name}</li>" in silent, name
    for name in ("Mexico", "Brazil", "Cuba", "Nicaragua", "Venezuela"):
        assert name not in silent, name


# --- Cycles, for the admin ----------------------------------------------------------


def test_the_admin_reads_the_cycle_pages(client, world, secretariat_admin):
    client.force_login(secretariat_admin)
    for path in ("/en/cycles/", CYCLE, "/en/cycles/new/"):
        assert client.get(path).status_code == 200, path
    assert world.cycle.name in text(client.get("/en/cycles/"))


def test_the_admin_creates_a_cycle(client, world, secretariat_admin):
    client.force_login(secretariat_admin)
    response = send(client, world, "cycle-new", follow=True)
    assert response.redirect_chain == [("/en/cycles/", 302)]
    cycle = ReportingCycle.objects.get(slug="ninth-meeting")
    assert cycle.is_open is False


def test_the_admin_closes_and_reopens_the_cycle(client, world, secretariat_admin):
    client.force_login(secretariat_admin)
    assert "Cycle closed." in text(send(client, world, "cycle-toggle", follow=True))
    assert ReportingCycle.objects.get(pk=world.cycle.pk).is_open is False
    assert "Cycle opened." in text(send(client, world, "cycle-toggle", follow=True))
    assert ReportingCycle.objects.get(pk=world.cycle.pk).is_open is True


def test_the_admin_moves_the_deadline(client, world, secretariat_admin):
    client.force_login(secretariat_admin)
    response = send(client, world, "cycle-deadline", follow=True)
    assert "Deadline saved." in text(response)
    deadline = ReportingCycle.objects.get(pk=world.cycle.pk).deadline
    assert deadline != world.cycle.deadline
    assert (deadline.year, deadline.month, deadline.day) == (2028, 1, 31)


def test_the_admin_grants_and_revokes_extensions(client, world, secretariat_admin):
    client.force_login(secretariat_admin)

    granted = send(client, world, "extension-grant", follow=True)
    revoked = send(client, world, "extension-revoke", follow=True)

    assert "Extension granted." in text(granted)
    assert "Extension withdrawn." in text(revoked)
    extensions = CycleExtension.objects.filter(cycle=world.cycle)
    assert list(extensions.values_list("member_state__iso3", flat=True)) == ["BRA"]
