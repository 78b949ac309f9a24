"""How a status is named and drawn, alike on the pages, in the charts and the PDF."""

from django.utils.html import format_html
from django.utils.safestring import SafeString
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


class StatusBadges:
    """The badge ``includes/status.html`` writes for an update (or for none), made once
    a status for a page's tables: an include a cell cost more than the rest of a
    state's page (bench/README.md)."""

    def __init__(self) -> None:
        self._labels = category_labels()
        self._labels[""] = _("Status not chosen yet")  # an update without one (a draft)
        self._made: dict[str | None, SafeString] = {}

    def __call__(self, update) -> SafeString:
        status = None if update is None else update.status
        badge = self._made.get(status)
        if badge is None:
            badge = self._made[status] = format_html(
                '<span class="status status--{}">{}</span>',
                status or NO_INFORMATION,
                self._labels[NO_INFORMATION if status is None else status],
            )
        return badge
