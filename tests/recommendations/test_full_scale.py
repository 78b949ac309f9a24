"""The benchmarks' data set: ``seed_full_scale`` fills cycles for every state."""

import io

import pytest
from django.core.management import CommandError, call_command

from recommendations.models import MemberState, ProgressUpdate, ReviewState

pytestmark = pytest.mark.django_db

STATES = 35
STATE_RECOMMENDATIONS = 21


def seed(**options) -> str:
    progress = io.StringIO()
    call_command(
        "seed_full_scale", force=True, stdout=io.StringIO(), stderr=progress, **options
    )
    return progress.getvalue()


def test_it_writes_every_state_and_recommendation_with_a_progress_bar():
    progress = seed(cycles=2, per=3)

    per_cycle = (STATES * STATE_RECOMMENDATIONS + 1) * 3
    assert ProgressUpdate.objects.count() == 2 * per_cycle
    assert progress.rstrip().endswith("100.0%")
    mexico = MemberState.objects.get(iso3="MEX")
    on_five = ProgressUpdate.objects.filter(
        member_state=mexico, recommendation__number=5
    )
    cycles = {update.cycle_id for update in on_five}
    assert len(cycles) == 2
    for cycle in cycles:
        in_cycle = on_five.filter(cycle=cycle)
        accepted = in_cycle.filter(review_state=ReviewState.ACCEPTED)
        assert (in_cycle.count(), accepted.count()) == (3, 2)  # then one still open
        assert in_cycle.current().count() == 1


def test_at_one_update_per_recommendation_every_status_is_published():
    seed(cycles=1, per=1)

    updates = ProgressUpdate.objects.all()
    assert updates.count() == STATES * STATE_RECOMMENDATIONS + 1
    assert set(updates.values_list("review_state", flat=True)) == {ReviewState.ACCEPTED}
    assert updates.current().count() == updates.count()


def test_it_refuses_a_production_database_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_full_scale", cycles=1, per=1, stderr=io.StringIO())
    assert not ProgressUpdate.objects.exists()
