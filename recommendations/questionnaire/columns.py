"""The questionnaire's layout, shared by the writer and the reader.

The columns of each sheet, in order, and the hidden sheet that says which state and
cycle a file is for: what the download writes is what the upload looks for.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

FORMAT = "tip-portal-questionnaire/1"
IDENTITY_SHEET = "portal"
MAX_ROWS = 1000  # per sheet: far above 21 recommendations and their measures


@dataclass(frozen=True)
class Column:
    """A column of a sheet; ``key`` is how the reader names its value."""

    key: str
    header: Promise | str
    width: int
    editable: bool = False
    hidden: bool = False


# One row per recommendation; the hidden last two name the update it was downloaded
# from, and its version.
MAIN = [
    Column("number", gettext_lazy("Recommendation"), 15),
    Column("theme", gettext_lazy("Theme"), 24),
    Column("text", gettext_lazy("Text of the recommendation"), 60),
    Column("accepted", gettext_lazy("Last accepted status"), 22),
    Column("in_progress", gettext_lazy("Update in progress"), 28),
    Column("status", gettext_lazy("Status"), 22, editable=True),
    Column("summary", gettext_lazy("Public summary"), 50, editable=True),
    Column("narrative", gettext_lazy("Narrative"), 60, editable=True),
    Column(
        "narrative_language",
        gettext_lazy("Language of the narrative"),
        16,
        editable=True,
    ),
    Column(
        "narrative_visibility",
        gettext_lazy("Who may read the narrative"),
        24,
        editable=True,
    ),
    Column("challenges", gettext_lazy("Challenges"), 40, editable=True),
    Column(
        "on_behalf_reference",
        gettext_lazy("Reference of the state's communication (Secretariat only)"),
        30,
        editable=True,
    ),
    Column("update", "update", 8, hidden=True),
    Column("version", "version", 8, hidden=True),
]
MEASURES = [
    Column("number", gettext_lazy("Recommendation"), 15, editable=True),
    Column("kind", gettext_lazy("Type"), 24, editable=True),
    Column("title", gettext_lazy("Title"), 50, editable=True),
    Column("date", gettext_lazy("Date"), 14, editable=True),
    Column("link", gettext_lazy("Link"), 40, editable=True),
]
NEEDS = [
    Column("number", gettext_lazy("Recommendation"), 15, editable=True),
    Column("kind", gettext_lazy("Type"), 28, editable=True),
    Column("description", gettext_lazy("What is needed"), 60, editable=True),
]


def column_label(columns: list[Column], key: str) -> str:
    """Where a person finds the column: its letter and header, e.g. "F (Status)"."""
    for index, column in enumerate(columns, start=1):
        if column.key == key:
            return f"{get_column_letter(index)} ({column.header})"
    return ""
