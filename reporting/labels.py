"""How a status is named and drawn, alike on the pages, in the charts and the PDF."""

from django.utils.translation import gettext as _

from recommendations.models import Status
from reporting.selectors import NO_INFORMATION

# Shapes that read as "more done" from empty to full, so cells never rely on colour.
STATUS_SYMBOLS = {
    Status.NOT_STARTED: "○",
    Status.PLANNED: "◔",
    Status.IN_PROGRESS: "◑",
    Status.LARGELY_IMPLEMENTED: "◕",
    Status.FULLY_IMPLEMENTED: "●",
    Status.NOT_APPLICABLE: "⊘",
    NO_INFORMATION: "·",
}


def category_labels() -> dict[str, str]:
    """Each status's name, and "No information", in the active language."""
    labels = {value: str(label) for value, label in Status.choices}
    labels[NO_INFORMATION] = _("No information")
    return labels


def legend() -> list[dict]:
    labels = category_labels()
    return [
        {"value": value, "label": labels[value], "symbol": symbol}
        for value, symbol in STATUS_SYMBOLS.items()
    ]
