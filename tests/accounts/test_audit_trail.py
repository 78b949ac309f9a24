"""The audit trail records each action with who, when and from where, and nothing in
the portal (admin, pages, API) can change or erase it.

Actions go through the portal's doors (pages, API, admin) from the address below,
so that the entries show the actor and the address the middleware saw.
"""

from __future__ import annotations

import re

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, Invitation, SecurityEvent, SecurityPolicy, User
from recommendations.models import (
    CycleExtension,
    Evidence,
    Measure,
    MemberState,
    MemberStateUserObjectPermission,
    ProgressUpdate,
    ReportingCycle,
    UpdateEvent,
)
from recommendations.services import REVIEW_CHECKLIST
from reporting.models import ReportRun, ReportText
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
CHECKLIST = dict.fromkeys(REVIEW_CHECKLIST, True)
UPDATES = "/api/v1/progress-updates/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def web(user: User | None = None) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    if user is not None:
        client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient(REMOTE_ADDR=ADDRESS)
    _token, secret = ApiToken.objects.create(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def entries(model, action: int | None = None, **filters):
    kind = ContentType.objects.get_for_model(model)
    found = LogEntry.objects.filter(content_type=kind, **filters)
    if action is not None:
        found = found.filter(action=action)
    return found.order_by("pk")


def assert_by(entry: LogEntry, actor: User | None) -> None:
    assert entry.actor_id == (actor.pk if actor else None)
    assert entry.remote_addr == ADDRESS
    assert entry.timestamp is not None


# --- Sign-ins ---------------------------------------------------------------------


def test_sign_ins_failures_sign_outs_and_tokens_are_recorded(focal_mex):
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="Firefox/140")

    client.post("/en/accounts/login/", {"username": "maria", "password": "wrong"})
    client.post("/en/accounts/login/", {"username": "nobody", "password": "wrong"})
    client.post("/en/accounts/login/", {"username": "maria", "password": PASSWORD})
    client.post("/en/accounts/logout/")
    APIClient(REMOTE_ADDR=ADDRESS).post(
        "/api/v1/auth/token/",
        {"username": "maria", "password": PASSWORD},
        format="json",
    )

    events = list(SecurityEvent.objects.order_by("pk"))
    assert [(e.kind, e.username, e.door) for e in events] == [
        ("sign_in_failed", "maria", "web"),
        ("sign_in_failed", "nobody", "web"),
        ("signed_in", "maria", "web"),
        ("signed_out", "maria", "web"),
        ("token_issued", "maria", "api"),
    ]
    assert {e.ip_address for e in events} == {ADDRESS}
    assert events[0].user == focal_mex and events[1].user is None
    assert events[0].user_agent == "Firefox/140"
    assert all(e.created_at <= timezone.now() for e in events)


def test_the_address_behind_the_proxy_is_the_one_the_proxy_saw(settings, focal_mex):
    settings.TRUSTED_PROXIES = 1
    client = Client(REMOTE_ADDR="10.0.0.5")  # the proxy

    # The client writes its own X-Forwarded-For; the proxy appends what it saw.
    client.post(
        "/en/accounts/login/",
        {"username": "maria", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.4",
    )

    assert SecurityEvent.objects.get().ip_address == "198.51.100.4"


# --- Progress updates, through the API --------------------------------------------


def test_every_change_to_an_update_and_its_parts_is_recorded(
    focal_mex, reviewer, cycle
):
    maria, rita = api(focal_mex), api(reviewer)

    created = maria.post(
        UPDATES,
        {
            "member_state": "MEX",
            "recommendation": 3,
            "status": "in_progress",
            "summary": "A plan is drafted.",
            "narrative": "The committee met.",
            "measures": [{"kind": "policy", "title": "National plan"}],
            "assistance_needs": [{"kind": "training", "description": "Judges"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk, version = created.json()["id"], created.json()["version"]
    changed = maria.patch(
        f"{UPDATES}{pk}/",
        {"version": version, "summary": "A plan is adopted.", "measures": []},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    uploaded = maria.post(
        f"{UPDATES}{pk}/evidence/",
        {"file": SimpleUploadedFile("minutes.txt", b"Minutes of the meeting.")},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    assert maria.post(f"{UPDATES}{pk}/submit/", {}, format="json").status_code == 200
    accepted = rita.post(f"{UPDATES}{pk}/accept/", {"checklist": CHECKLIST}, "json")
    assert accepted.status_code == 200, accepted.content

    update_entries = entries(ProgressUpdate, object_id=pk)
    create, *changes = update_entries
    assert create.action == LogEntry.Action.CREATE
    assert_by(create, focal_mex)
    summary_change = next(e for e in changes if "summary" in e.changes_dict)
    assert summary_change.changes_dict["summary"] == [
        "A plan is drafted.",
        "A plan is adopted.",
    ]
    assert_by(summary_change, focal_mex)
    review_states = [
        e.changes_dict["review_state"]
        for e in changes
        if "review_state" in e.changes_dict
    ]
    assert review_states == [["draft", "submitted"], ["submitted", "accepted"]]
    assert_by(
        next(
            e
            for e in changes
            if e.changes_dict.get("review_state", [""])[-1] == "accepted"
        ),
        reviewer,
    )
    # Measures and needs: created, then the measure deleted by the PATCH.
    measure_actions = [e.action for e in entries(Measure)]
    assert measure_actions == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]
    assert all(e.remote_addr == ADDRESS for e in entries(Measure))
    assert entries(Evidence, LogEntry.Action.CREATE).get().actor == focal_mex
    # Each workflow step is an UpdateEvent, recorded with its actor.
    steps = entries(UpdateEvent, LogEntry.Action.CREATE)
    assert steps.count() == UpdateEvent.objects.filter(update_id=pk).count()
    for entry in steps:
        assert_by(entry, UpdateEvent.objects.get(pk=entry.object_id).actor)
    assert steps.last().actor == reviewer


def test_deleting_a_draft_and_its_evidence_is_recorded(focal_mex, cycle):
    maria = api(focal_mex)
    pk = maria.post(
        UPDATES,
        {
            "member_state": "MEX",
            "recommendation": 4,
            "status": "planned",
            "summary": "Planned.",
        },
        format="json",
    ).json()["id"]
    evidence = maria.post(
        f"{UPDATES}{pk}/evidence/",
        {"file": SimpleUploadedFile("plan.txt", b"The plan.")},
        format="multipart",
    ).json()

    assert maria.delete(f"{UPDATES}{pk}/evidence/{evidence['id']}/").status_code == 204
    assert maria.delete(f"{UPDATES}{pk}/").status_code == 204

    deleted = entries(ProgressUpdate, LogEntry.Action.DELETE, object_id=pk).get()
    assert_by(deleted, focal_mex)
    assert_by(entries(Evidence, LogEntry.Action.DELETE).get(), focal_mex)


# --- Cycles, extensions, member states, through the pages and the admin -----------


def test_cycles_and_extensions_are_recorded(secretariat_admin, cycle):
    alba = web(secretariat_admin)
    base = f"/en/cycles/{cycle.slug}/"

    alba.post(
        f"{base}deadline/",
        {
            "name": cycle.name,
            "slug": cycle.slug,
            "meeting": cycle.meeting,
            "period_start": cycle.period_start.isoformat(),
            "period_end": cycle.period_end.isoformat(),
            "deadline": "2028-01-31T12:00",
            "time_zone": "America/New_York",
        },
    )
    alba.post(
        f"{base}extensions/", {"member_state": "BRA", "deadline": "2028-06-30T23:59"}
    )
    extension = CycleExtension.objects.get()
    alba.post(f"{base}extensions/{extension.pk}/revoke/")
    alba.post(f"{base}toggle/")

    changes = [e.changes_dict for e in entries(ReportingCycle, object_id=cycle.pk)]
    assert any("deadline" in c for c in changes)
    assert any(c.get("is_open") == ["True", "False"] for c in changes)
    for entry in entries(ReportingCycle, object_id=cycle.pk):
        assert_by(entry, secretariat_admin)
    extension_actions = [e.action for e in entries(CycleExtension)]
    assert extension_actions == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]
    for entry in entries(CycleExtension):
        assert_by(entry, secretariat_admin)


def test_a_member_state_changed_in_the_admin_is_recorded(secretariat_admin):
    state = MemberState.objects.get(iso3="CUB")
    alba = web(secretariat_admin)

    response = alba.post(
        f"/en/admin/recommendations/memberstate/{state.pk}/change/",
        {
            "iso3": "CUB",
            "iso2": "CU",
            "name_en": state.name_en,
            "name_es": state.name_es,
            "name_fr": state.name_fr,
            "name_pt": state.name_pt,
            "participating": "on",
            "participation_note": "Rejoined.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries(MemberState, LogEntry.Action.UPDATE, object_id=state.pk).get()
    assert entry.changes_dict["participating"] == ["False", "True"]
    assert_by(entry, secretariat_admin)


# --- Users, roles, rights on states, invitations ----------------------------------


def test_invitations_accounts_roles_and_state_rights_are_recorded(
    secretariat_admin, mexico
):
    alba = web(secretariat_admin)
    alba.post(
        "/en/accounts/users/invite/",
        {
            "email": "ana@gob.example",
            "first_name": "Ana",
            "role": "focal_point",
            "member_state": "MEX",
            "language": "en",
        },
    )
    link = re.search(r"https?://[^/]+(/\S+/invitation/\S+/)", mail.outbox[-1].body)
    newcomer = web()
    newcomer.post(
        link.group(1),
        {
            "username": "ana",
            "password1": "a-long-new-password-91",
            "password2": "a-long-new-password-91",
        },
    )
    ana = User.objects.get(username="ana")

    invitation = Invitation.objects.get()
    invitation_entries = entries(Invitation, object_id=invitation.pk)
    assert invitation_entries[0].action == LogEntry.Action.CREATE
    assert_by(invitation_entries[0], secretariat_admin)
    assert invitation_entries[0].changes_dict["token_hash"][1] == "(hidden)"
    assert "accepted_at" in invitation_entries.last().changes_dict
    account = entries(User, LogEntry.Action.CREATE, object_id=ana.pk).get()
    assert account.remote_addr == ADDRESS
    assert account.changes_dict["password"][1] == "(hidden)"
    # The role: a group joined (many-to-many), and the rights on Mexico granted.
    role = entries(User, object_id=ana.pk).filter(changes__has_key="groups").get()
    assert role.changes_dict["groups"]["operation"] == "add"
    assert role.changes_dict["groups"]["objects"] == ["Focal points"]
    rights = entries(MemberStateUserObjectPermission, LogEntry.Action.CREATE)
    assert rights.count() == 2 and {e.remote_addr for e in rights} == {ADDRESS}

    # Revoked later, by an admin (here through the service, as a script would).
    with set_actor(secretariat_admin, remote_addr=ADDRESS):
        services.focal_point_unassign(user=ana, member_state=mexico)
    revoked = entries(MemberStateUserObjectPermission, LogEntry.Action.DELETE)
    assert revoked.count() == 2
    assert_by(revoked.first(), secretariat_admin)
    removed = entries(User, object_id=ana.pk).filter(changes__has_key="groups").last()
    assert removed.changes_dict["groups"]["operation"] == "delete"


def test_deactivating_a_user_is_recorded(secretariat_admin, focal_bra):
    web(secretariat_admin).post(f"/en/accounts/users/{focal_bra.pk}/deactivate/")

    entry = entries(User, LogEntry.Action.UPDATE, object_id=focal_bra.pk).last()
    assert entry.changes_dict == {"is_active": ["True", "False"]}
    assert_by(entry, secretariat_admin)


def test_a_change_of_the_security_policy_is_recorded(secretariat_admin):
    web(secretariat_admin).post(
        "/en/accounts/security/policy/", {"require_two_factor_secretariat": "on"}
    )

    entry = entries(SecurityPolicy, LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["require_two_factor_secretariat"] == ["False", "True"]
    assert_by(entry, secretariat_admin)


# --- Reports ----------------------------------------------------------------------


def finished_run(cycle, *, final: bool = False) -> ReportRun:
    now = timezone.now()
    run = ReportRun.objects.create(
        cycle=cycle,
        final=final,
        language="en",
        as_of=now,
        state=ReportRun.State.SUCCEEDED,
        stage="done",
        progress=100,
        finished_at=now,
        sha256="ab" * 32,
        page_count=3,
    )
    run.pdf.save(f"{run.pk}.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return run


def test_report_runs_publications_and_texts_are_recorded(
    secretariat_admin, reviewer, cycle
):
    rita = api(reviewer)
    queued = rita.post(
        "/api/v1/reports/", {"cycle": cycle.slug, "language": "es"}, format="json"
    )
    assert queued.status_code == 202, queued.content
    # A final edition (one withdrawn, say) is published at once, with its texts.
    run = finished_run(cycle, final=True)
    web(reviewer).post(
        f"/en/reports/texts/{cycle.slug}/en/",
        {"introduction": "This report covers...", "conclusions": "States moved."},
    )
    alba = web(secretariat_admin)
    alba.post(f"/en/reports/runs/{run.pk}/publish/")

    requested = entries(
        ReportRun, LogEntry.Action.CREATE, object_id=queued.json()["id"]
    )
    assert_by(requested.get(), reviewer)
    published = entries(ReportRun, LogEntry.Action.UPDATE, object_id=run.pk).last()
    assert "published_at" in published.changes_dict
    assert_by(published, secretariat_admin)
    text = entries(ReportText, LogEntry.Action.CREATE).get()
    assert_by(text, reviewer)
    assert ReportText.objects.get().introduction == "This report covers..."


# --- Nobody alters the trail ------------------------------------------------------


@pytest.fixture
def trail(secretariat_admin, focal_bra) -> tuple[LogEntry, SecurityEvent]:
    web(secretariat_admin).post(f"/en/accounts/users/{focal_bra.pk}/deactivate/")
    Client(REMOTE_ADDR=ADDRESS).post(
        "/en/accounts/login/", {"username": "maria", "password": "wrong"}
    )
    return LogEntry.objects.latest("pk"), SecurityEvent.objects.latest("pk")


def snapshot() -> tuple[list, list]:
    return (
        list(LogEntry.objects.order_by("pk").values()),
        list(SecurityEvent.objects.order_by("pk").values()),
    )


@pytest.fixture(params=["secretariat_admin", "superuser"])
def admin_client(request, secretariat_admin) -> Client:
    if request.param == "superuser":
        user = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    else:
        user = secretariat_admin
    return web(user)


def test_admins_read_and_filter_the_trail(admin_client, trail):
    entry, _event = trail

    listing = admin_client.get("/en/admin/auditlog/logentry/?action__exact=1")
    events = admin_client.get(
        "/en/admin/portal/securityevent/?kind__exact=sign_in_failed"
    )
    detail = admin_client.get(f"/en/admin/auditlog/logentry/{entry.pk}/change/")

    assert listing.status_code == 200 and ADDRESS in listing.content.decode()
    assert events.status_code == 200 and "maria" in events.content.decode()
    assert detail.status_code == 200 and "active" in detail.content.decode().lower()
    assert 'name="_save"' not in detail.content.decode()  # read-only


def test_the_trail_cannot_be_changed_or_deleted_through_the_admin(admin_client, trail):
    entry, event = trail
    before = snapshot()

    answers = [
        admin_client.post(
            f"/en/admin/auditlog/logentry/{entry.pk}/change/",
            {"remote_addr": "10.9.9.9", "action": "2"},
        ),
        admin_client.post(
            f"/en/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}
        ),
        admin_client.post(
            "/en/admin/auditlog/logentry/",
            {
                "action": "delete_selected",
                "_selected_action": [entry.pk],
                "post": "yes",
            },
        ),
        admin_client.get("/en/admin/auditlog/logentry/add/"),
        admin_client.post(
            f"/en/admin/portal/securityevent/{event.pk}/change/", {"username": "x"}
        ),
        admin_client.post(
            f"/en/admin/portal/securityevent/{event.pk}/delete/", {"post": "yes"}
        ),
        admin_client.post(
            "/en/admin/portal/securityevent/",
            {
                "action": "delete_selected",
                "_selected_action": [event.pk],
                "post": "yes",
            },
        ),
        admin_client.get("/en/admin/portal/securityevent/add/"),
    ]

    assert [a.status_code for a in answers[:2]] == [403, 403]
    assert answers[3].status_code == 403 and answers[7].status_code == 403
    assert answers[4].status_code == 403 and answers[5].status_code == 403
    # No delete action is offered, so the list answers without deleting.
    assert answers[2].status_code in {200, 302} and answers[6].status_code in {200, 302}
    assert snapshot() == before


def test_others_cannot_read_the_trail(client, reviewer, focal_mex, trail):
    for user in (reviewer, focal_mex):
        client.force_login(user)
        for path in ("/en/admin/auditlog/logentry/", "/en/admin/portal/securityevent/"):
            assert client.get(path).status_code in {302, 403}


def test_the_api_has_no_door_to_the_trail(secretariat_admin):
    alba = api(secretariat_admin)
    schema = APIClient().get("/api/schema/").content.decode()

    for path in ("/api/v1/audit/", "/api/v1/log-entries/", "/api/v1/security-events/"):
        assert alba.get(path).status_code == 404
    assert "logentry" not in schema.lower() and "securityevent" not in schema.lower()


def test_events_refuse_to_change_in_code_too():
    event = SecurityEvent.objects.create(kind="signed_in", username="maria")
    event.username = "someone-else"

    with pytest.raises(ValueError, match="never changed"):
        event.save()
    with pytest.raises(ValueError, match="never deleted"):
        event.delete()
