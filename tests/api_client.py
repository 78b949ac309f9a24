"""What the API tests check answers with: the cast's role names, the error object's
shape, and a snapshot of what the database holds of updates."""

from recommendations.models import (
    AssistanceNeed,
    Evidence,
    Measure,
    ProgressUpdate,
    UpdateEvent,
)

ROLES = ["public", "focal_mex", "focal_bra", "reviewer", "secretariat_admin"]


def snapshot() -> dict:
    """What the database holds of updates, to assert that a denial changed nothing."""
    return {
        "updates": sorted(
            ProgressUpdate.objects.values_list(
                "pk", "review_state", "version", "summary", "status"
            )
        ),
        "events": UpdateEvent.objects.count(),
        "measures": Measure.objects.count(),
        "needs": AssistanceNeed.objects.count(),
        "evidence": sorted(Evidence.objects.values_list("pk", flat=True)),
    }


def error_of(response) -> dict:
    """The error object of a refusal, checking the shape every 4xx shares."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error
