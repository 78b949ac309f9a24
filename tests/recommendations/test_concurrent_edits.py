"""Two people save the same draft at the same moment, on two database connections:
the second waits for the first, then is refused as stale; nothing is overwritten.

Only PostgreSQL shows it: the edit locks the update's row (SELECT ... FOR UPDATE), so
the second save reads the version the first one wrote. Without the lock the second
would read the old version, pass the check, and overwrite the first save.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from recommendations import services
from recommendations.models import ProgressUpdate, Recommendation
from recommendations.services import StaleUpdateError
from tests.factories import content

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TIMEOUT = 30


def wait_until_blocked(pid: int) -> None:
    """Wait until the backend ``pid`` waits for a lock another transaction holds."""
    deadline = time.monotonic() + TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.05)
    raise AssertionError(f"the second save (backend {pid}) never waited for a lock")


def test_two_saves_at_once_the_second_is_refused_as_stale(
    focal_mex, reviewer, mexico, cycle
):
    # Given a draft, opened by two people at the same version
    draft = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=3),
        content=content(summary="As opened."),
    )
    opened = draft.version
    first_saved, release_first = threading.Event(), threading.Event()
    second_pid: list[int] = []
    outcome: dict[str, object] = {}

    def save(name: str, actor, summary: str, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                if not hold:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_backend_pid()")
                        second_pid.append(cursor.fetchone()[0])
                    first_saved.wait(TIMEOUT)
                services.progress_update_edit(
                    update=ProgressUpdate.objects.get(pk=draft.pk),
                    actor=actor,
                    content=content(summary=summary),
                    expected_version=opened,
                )
                if hold:
                    # The first save is written but not committed: keep it so while
                    # the second one runs into it.
                    first_saved.set()
                    release_first.wait(TIMEOUT)
            outcome[name] = "saved"
        except Exception as error:  # the outcome is asserted below
            outcome[name] = error
        finally:
            first_saved.set()
            connection.close()

    # When the reviewer saves first and, before that commits, Maria saves too
    first = threading.Thread(
        target=save,
        args=("first", reviewer, "The reviewer's save."),
        kwargs={"hold": True},
    )
    second = threading.Thread(
        target=save, args=("second", focal_mex, "Maria's save."), kwargs={"hold": False}
    )
    first.start()
    second.start()
    try:
        first_saved.wait(TIMEOUT)
        while not second_pid and second.is_alive():
            second.join(0.05)
        assert second_pid, outcome
        # Maria's save is stuck behind the reviewer's uncommitted one
        wait_until_blocked(second_pid[0])
    finally:
        release_first.set()
        first.join(TIMEOUT)
        second.join(TIMEOUT)

    # Then the first save stands and the second is refused as stale
    assert outcome["first"] == "saved"
    assert isinstance(outcome["second"], StaleUpdateError), outcome["second"]
    assert "saved this update after you opened it" in outcome["second"].message
    draft.refresh_from_db()
    assert draft.summary == "The reviewer's save."
    assert draft.version == opened + 1
    assert draft.events.filter(action="edited").count() == 1
