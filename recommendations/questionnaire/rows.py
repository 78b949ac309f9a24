"""The state's updates as the questionnaire shows them: one row per recommendation.

The download writes these rows; the upload compares each row of the file with them to
tell what changed, and whether the portal changed since the download.
"""

from dataclasses import dataclass

from recommendations import selectors
from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    UpdateEvent,
)


@dataclass
class RecommendationRow:
    """A recommendation and the state's updates on it in the cycle."""

    recommendation: Recommendation
    open: ProgressUpdate | None  # draft, returned or submitted
    accepted: ProgressUpdate | None  # the current status
    member_state: MemberState
    return_comment: str = ""

    @property
    def baseline(self) -> ProgressUpdate | None:
        """The update the row shows: the one in progress, else the accepted one."""
        return self.open or self.accepted


def recommendation_rows(
    *, cycle: ReportingCycle, member_state: MemberState
) -> list[RecommendationRow]:
    """The recommendations the state reports on, by number, with their updates."""
    recommendations = selectors.recommendations_for(
        instrument=cycle.instrument, member_state=member_state
    ).order_by("number")
    updates = ProgressUpdate.objects.filter(
        cycle=cycle, member_state=member_state
    ).prefetch_related("measures", "assistance_needs")
    open_updates = {u.recommendation_id: u for u in updates.open()}
    accepted = {u.recommendation_id: u for u in updates.current()}
    comments: dict[int, str] = {}
    for event in UpdateEvent.objects.filter(
        update__in=[u for u in open_updates.values() if u.returned_at],
        action=UpdateEvent.Action.RETURNED,
    ).order_by("created_at", "pk"):
        comments[event.update_id] = event.comment  # the latest wins
    rows = []
    for recommendation in recommendations:
        current = open_updates.get(recommendation.pk)
        rows.append(
            RecommendationRow(
                recommendation=recommendation,
                open=current,
                accepted=accepted.get(recommendation.pk),
                member_state=member_state,
                return_comment=comments.get(current.pk, "") if current else "",
            )
        )
    return rows
