"""Each state's current update on a recommendation: PostgreSQL picks it with DISTINCT ON
in the index's order, other databases rank with a window (``current``). Both must pick
the same update, with ties on the acceptance moment and cut-offs in time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from recommendations.models import ProgressUpdate
from tests import factories

pytestmark = pytest.mark.django_db

NOON = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def _accepted_at(update: ProgressUpdate, moment) -> ProgressUpdate:
    ProgressUpdate.objects.filter(pk=update.pk).update(reviewed_at=moment)
    return update


@pytest.fixture
def accepted(focal_mex, focal_bra, reviewer, cycle) -> dict[str, ProgressUpdate]:
    """Mexico accepted three times on recommendation 1 (the last two at one moment),
    once on 2 with a newer update still submitted; Brazil once on 1; the Secretariat
    once on its own recommendation."""

    def file(state, number, author, accepter=reviewer, **kwargs):
        return factories.progress_update(
            state, number, author=author, reviewer=accepter, cycle=cycle, **kwargs
        )

    made = {
        "mex_1_first": _accepted_at(
            file("MEX", 1, focal_mex), NOON - timedelta(days=10)
        ),
        "mex_1_tied": _accepted_at(file("MEX", 1, focal_mex), NOON),
        "mex_1_tied_later_id": _accepted_at(file("MEX", 1, focal_mex), NOON),
        "mex_2": _accepted_at(file("MEX", 2, focal_mex), NOON - timedelta(days=5)),
        "bra_1": _accepted_at(file("BRA", 1, focal_bra), NOON - timedelta(days=1)),
        "secretariat_22": _accepted_at(
            file(None, 22, reviewer, accepter=factories.secretariat()),
            NOON - timedelta(days=2),
        ),
    }
    file("MEX", 2, focal_mex, steps=["submit"])  # not accepted: never current
    return made


def _current(as_of, *, window: bool, monkeypatch) -> set[int]:
    with monkeypatch.context() as patched:
        if window:
            patched.setattr(connection.features, "can_distinct_on_fields", False)
        return set(ProgressUpdate.objects.current(as_of).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (None, {"mex_1_tied_later_id", "mex_2", "bra_1", "secretariat_22"}),
        (
            NOON - timedelta(hours=1),
            {"mex_1_first", "mex_2", "bra_1", "secretariat_22"},
        ),
        (NOON - timedelta(days=3), {"mex_1_first", "mex_2"}),
        (NOON - timedelta(days=11), set()),
    ],
    ids=["now", "before-the-tie", "before-brazil", "before-all"],
)
def test_distinct_on_and_the_window_pick_the_same_current_updates(
    accepted, monkeypatch, as_of, expected
):
    wanted = {accepted[name].pk for name in expected}
    assert _current(as_of, window=True, monkeypatch=monkeypatch) == wanted
    assert _current(as_of, window=False, monkeypatch=monkeypatch) == wanted


def test_narrowed_by_state_the_current_update_is_still_the_latest(
    accepted, monkeypatch
):
    for window in (True, False):
        with monkeypatch.context() as patched:
            if window:
                patched.setattr(connection.features, "can_distinct_on_fields", False)
            mexico = ProgressUpdate.objects.filter(member_state__iso3="MEX").current()
            assert set(mexico.values_list("pk", flat=True)) == {
                accepted["mex_1_tied_later_id"].pk,
                accepted["mex_2"].pk,
            }
