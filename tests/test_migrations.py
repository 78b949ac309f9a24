"""A portal deployed from the layout before the move (notifications and reminders in
the portal app) migrates forward without losing a row.

The database is filled with the demo data and more (evidence files, a report run, a
reminder, an API token), taken back to the migrations that layout ended with, and
migrated forward again; every row of every table is still there, and the current
models read it all."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import ApiToken, User
from recommendations import notifications, services
from recommendations.models import (
    Evidence,
    MemberStateUserObjectPermission,
    Notification,
    ProgressUpdate,
    ReportingCycle,
    UpdateEvent,
)
from reporting.models import ReportRun

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Where the migrations of the previous layout ended.
BEFORE_THE_MOVE = [
    ("portal", "0007_drop_drf_authtoken"),
    ("recommendations", "0004_current_cycle"),
    ("reporting", "0001_initial"),
]
TABLES = [
    "portal_user",
    "portal_user_groups",
    "portal_apitoken",
    "recommendations_memberstateuserobjectpermission",
    "recommendations_progressupdate",
    "recommendations_updateevent",
    "recommendations_evidence",
    "portal_notification",
    "portal_reminder",
    "reporting_reportrun",
]


def columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        return {
            table: [
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, table
                )
            ]
            for table in TABLES
        }


def rows(named: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of the tables, in the columns ``named``: later migrations may add
    columns, never take a value away."""
    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            listed = ", ".join(connection.ops.quote_name(name) for name in named[table])
            cursor.execute(f"SELECT {listed} FROM {table} ORDER BY 1")  # noqa: S608
            found[table] = cursor.fetchall()
    return found


def migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.fixture
def deployed(settings, tmp_path):
    """The demo, a file of evidence, a finished report run, a reminder, a token,
    and the emails of the workflow steps."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    focal = User.objects.get(username="focal-mex")
    draft = ProgressUpdate.objects.filter(
        member_state__iso3="MEX", review_state="draft"
    ).first()
    services.evidence_add(
        update=draft,
        actor=focal,
        upload=SimpleUploadedFile(
            "note.txt", b"Minutes of the committee.", "text/plain"
        ),
    )
    cycle = ReportingCycle.objects.get(is_open=True)
    now = timezone.now()
    run = ReportRun.objects.create(
        cycle=cycle, language="en", as_of=now, queued_at=now, state="succeeded"
    )
    run.pdf.save(f"{run.pk}.pdf", ContentFile(b"%PDF-1.4 a report"), save=True)
    cycle.reminders.create(days_before=3, deadline=cycle.deadline)
    ApiToken.objects.create(focal, name="ministry system")
    for event in UpdateEvent.objects.filter(action__in=["submitted", "accepted"]):
        notifications.update_event_notify(event=event)


def test_a_deployed_database_moves_to_the_new_layout_with_every_row(deployed):
    migrate(BEFORE_THE_MOVE)
    old_columns = columns()
    before = rows(old_columns)
    old_type = ContentType.objects.get(app_label="portal", model="notification")

    migrate()

    assert rows(old_columns) == before
    for table, found in before.items():
        assert found, f"the demo left {table} empty: the test would prove nothing"
    # The current models read every row, where they now live.
    ids = {table: {row[0] for row in found} for table, found in before.items()}
    assert set(User.objects.values_list("pk", flat=True)) == ids["portal_user"]
    assert (
        set(Notification.objects.values_list("pk", flat=True))
        == (ids["portal_notification"])
    )
    assert (
        set(UpdateEvent.objects.values_list("pk", flat=True))
        == (ids["recommendations_updateevent"])
    )
    assert (
        set(ReportRun.objects.values_list("pk", flat=True))
        == (ids["reporting_reportrun"])
    )
    assert MemberStateUserObjectPermission.objects.count() == len(
        ids["recommendations_memberstateuserobjectpermission"]
    )
    for evidence in Evidence.objects.all():
        assert evidence.file.storage.exists(evidence.file.name)
    for run in ReportRun.objects.exclude(pdf=""):
        assert run.pdf.storage.exists(run.pdf.name)
    focal = User.objects.get(username="focal-mex")
    assert focal.has_perm("recommendations.report_for_memberstate", focal_state(focal))
    assert focal.notifications.exists()
    # The content type moved with the model, so what pointed at it still does.
    moved = ContentType.objects.get_for_model(Notification)
    assert (moved.pk, moved.app_label) == (old_type.pk, "recommendations")


def focal_state(user):
    return (
        MemberStateUserObjectPermission.objects.filter(user=user).first().content_object
    )
