"""Reading a filled-in questionnaire into the changes it asks for, checking every cell.

What a changed row does depends on the recommendation's update in the portal now:
none or an accepted one, a new draft (superseding the accepted one once accepted); a
draft or a returned update, an edit of it (a returned one becomes a draft, as with the
form); a submitted one, an error: withdraw it first. A row left as downloaded changes
nothing. Each row carries the id and version of the update it was downloaded from,
hidden, so a file older than the portal's latest change is refused rather than let
overwrite it.

Every text is read back as it is: a row left as downloaded reads as downloaded, and
``=1+1`` or ``-5 victims assisted`` typed by a state (Excel needs a leading
apostrophe for those, which it keeps out of the value) is saved as the state sees it.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import User
from recommendations import permissions, services
from recommendations.models import (
    AssistanceNeed,
    Measure,
    ProgressUpdate,
    Recommendation,
    ReviewState,
    Status,
    UpdateEvent,
    Visibility,
)
from recommendations.questionnaire.columns import (
    MAIN,
    MAX_ROWS,
    MEASURES,
    NEEDS,
    Column,
    column_label,
)
from recommendations.questionnaire.errors import CellError
from recommendations.questionnaire.rows import RecommendationRow
from recommendations.questionnaire.upload import sheet_rows
from recommendations.services import MeasureData, NeedData, UpdateContent
from recommendations.text_lengths import (
    CHALLENGES_MAX_CHARS,
    NARRATIVE_MAX_CHARS,
    NEED_MAX_CHARS,
)


@dataclass
class PlannedChange:
    """A changed row, checked: the draft to create, or the update to edit, and how."""

    number: int
    recommendation: Recommendation
    content: UpdateContent
    update: ProgressUpdate | None  # None: create a new draft
    version: int | None
    row: int
    sheet: str


class Reader:
    """Reads and checks every row, collecting each problem rather than stopping."""

    def __init__(self, workbook: Workbook, identity: dict[str, str]):
        self.workbook = workbook
        self.identity = identity
        self.errors: list[CellError] = []
        lists = {
            "status": Status.choices,
            "language": settings.LANGUAGES,
            "visibility": Visibility.choices,
            "measure": Measure.Kind.choices,
            "need": AssistanceNeed.Kind.choices,
        }
        self.choices = {key: self._choice_map(value) for key, value in lists.items()}
        self.labels = {
            key: [str(label) for _value, label in value] for key, value in lists.items()
        }

    @staticmethod
    def _choice_map(choices) -> dict[str, str]:
        # The value itself, its label in the file's language and in English.
        mapping = {}
        for value, label in choices:
            mapping[value.casefold()] = value
            mapping[" ".join(str(label).split()).casefold()] = value
            with translation.override("en"):
                mapping[" ".join(str(label).split()).casefold()] = value
        return mapping

    def error(self, message: str, sheet: str = "", row=None, column=None) -> None:
        where = ""
        if column is not None:
            columns = {
                self.sheets["main"]: MAIN,
                self.sheets["measures"]: MEASURES,
                self.sheets["needs"]: NEEDS,
            }[sheet]
            where = column_label(columns, column)
        self.errors.append(CellError(message, sheet, row, where))

    @property
    def sheets(self) -> dict[str, str]:
        return {
            "main": self.identity.get("sheet_questionnaire", ""),
            "measures": self.identity.get("sheet_measures", ""),
            "needs": self.identity.get("sheet_needs", ""),
        }

    def _records(self, key: str, columns: list[Column]):
        """(row number, {column key: value}) of the sheet's non-empty rows."""
        title = self.sheets[key]
        if title not in self.workbook.sheetnames:
            self.errors.append(
                CellError(
                    _(
                        "The sheet “%(sheet)s” is missing. Download the questionnaire "
                        "again and fill in that copy."
                    )
                    % {"sheet": title or key}
                )
            )
            return
        rows = sheet_rows(
            self.workbook, title, min_row=2, max_row=MAX_ROWS + 1, max_col=len(columns)
        )
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS:
                self.errors.append(
                    CellError(
                        _("The sheet has more than %(count)s rows.")
                        % {"count": MAX_ROWS},
                        title,
                        number,
                    )
                )
                return
            record = {
                column.key: _clean(value)
                for column, value in zip(columns, values, strict=False)
            }
            if any(value not in (None, "") for value in record.values()):
                yield number, record

    # -- cells

    def _number(self, record, sheet, row, valid: dict[int, Recommendation]):
        raw = record.get("number")
        number = _as_int(raw)
        if number is None:
            self.error(
                _("Give the number of the recommendation."), sheet, row, "number"
            )
            return None
        if number not in valid:
            self.error(
                _(
                    "There is no recommendation %(number)s for a state to report on: "
                    "states report on recommendations %(first)s to %(last)s."
                )
                % {"number": raw, "first": min(valid), "last": max(valid)},
                sheet,
                row,
                "number",
            )
            return None
        return number

    def _choice(self, record, key, list_key, sheet, row, *, required, default=""):
        raw = record.get(key)
        if raw in (None, ""):
            if required:
                self.error(_("Choose a value from the list."), sheet, row, key)
            return default
        value = self.choices[list_key].get(" ".join(str(raw).split()).casefold())
        if value is None:
            allowed = "; ".join(self.labels[list_key])
            self.error(
                _("“%(value)s” is not one of the allowed values: %(allowed)s.")
                % {"value": raw, "allowed": allowed},
                sheet,
                row,
                key,
            )
            return default
        return value

    def _text(self, record, key, sheet, row, *, max_length=None, required=False):
        value = record.get(key)
        text = "" if value is None else _text(value)
        if required and not text:
            self.error(_("This cell is required."), sheet, row, key)
        if max_length and len(text) > max_length:
            self.error(
                _("At most %(max)s characters; this cell has %(count)s.")
                % {"max": max_length, "count": len(text)},
                sheet,
                row,
                key,
            )
        return text

    # -- sheets

    def _lists(self, valid):
        measures: dict[int, list[MeasureData]] = {}
        sheet = self.sheets["measures"]
        url = URLValidator(schemes=["http", "https"])
        for row, record in self._records("measures", MEASURES):
            number = self._number(record, sheet, row, valid)
            kind = self._choice(record, "kind", "measure", sheet, row, required=True)
            title = self._text(
                record, "title", sheet, row, max_length=300, required=True
            )
            when = _as_date(record.get("date"))
            if when is False:
                self.error(
                    _("Write a date, for example 2026-05-01."), sheet, row, "date"
                )
                when = None
            link = self._text(record, "link", sheet, row, max_length=500)
            if link:
                if "://" not in link:
                    link = f"https://{link}"
                try:
                    url(link)
                except ValidationError:
                    self.error(
                        _("Write a full web address, for example https://example.org."),
                        sheet,
                        row,
                        "link",
                    )
            if number is not None:
                measures.setdefault(number, []).append(
                    MeasureData(kind=kind, title=title, date=when, link=link)
                )
        needs: dict[int, list[NeedData]] = {}
        sheet = self.sheets["needs"]
        for row, record in self._records("needs", NEEDS):
            number = self._number(record, sheet, row, valid)
            kind = self._choice(record, "kind", "need", sheet, row, required=True)
            description = self._text(
                record, "description", sheet, row, max_length=NEED_MAX_CHARS
            )
            if number is not None:
                needs.setdefault(number, []).append(
                    NeedData(kind=kind, description=description)
                )
        return measures, needs

    def plan(
        self, rows: list[RecommendationRow], *, actor: User
    ) -> list[PlannedChange]:
        """The changed rows of the file; each problem found lands in ``errors``."""
        valid = {row.recommendation.number: row for row in rows}
        recommendations = {n: row.recommendation for n, row in valid.items()}
        measures, needs = self._lists(recommendations)
        sheet = self.sheets["main"]
        seen: dict[int, int] = {}
        planned = []
        for row, record in self._records("main", MAIN):
            number = self._number(record, sheet, row, recommendations)
            if number is None:
                continue
            if number in seen:
                self.error(
                    _("Recommendation %(number)s is also on row %(row)s.")
                    % {"number": number, "row": seen[number]},
                    sheet,
                    row,
                    "number",
                )
                continue
            seen[number] = row
            item = self._plan_row(
                valid[number],
                record,
                row,
                measures.get(number, []),
                needs.get(number, []),
                actor=actor,
            )
            if item is not None:
                planned.append(item)
        # Measures or needs for a recommendation whose row is left empty.
        for number in sorted((set(measures) | set(needs)) - set(seen)):
            if valid[number].baseline is None:
                self.errors.append(
                    CellError(
                        _(
                            "Recommendation %(number)s has measures or needs but no "
                            "status and summary: fill in its row in “%(sheet)s”."
                        )
                        % {"number": number, "sheet": sheet},
                        sheet,
                    )
                )
        return planned

    def _plan_row(
        self, row_data: RecommendationRow, record, row, measures, needs, *, actor
    ):
        sheet = self.sheets["main"]
        number = row_data.recommendation.number
        editable = [c.key for c in MAIN if c.editable]
        filled = any(record.get(key) not in (None, "") for key in editable)
        if not filled and not measures and not needs and row_data.baseline is None:
            return None  # nothing to report on this one yet
        errors_before = len(self.errors)
        # A draft started in the portal may lack them until it is submitted.
        baseline = row_data.baseline
        content = UpdateContent(
            status=self._choice(
                record,
                "status",
                "status",
                sheet,
                row,
                required=baseline is None or bool(baseline.status),
            ),
            summary=self._text(
                record,
                "summary",
                sheet,
                row,
                max_length=400,
                required=baseline is None or bool(baseline.summary),
            ),
            narrative=self._text(
                record, "narrative", sheet, row, max_length=NARRATIVE_MAX_CHARS
            ),
            narrative_language=self._choice(
                record,
                "narrative_language",
                "language",
                sheet,
                row,
                required=False,
                default=self.identity["language"],
            ),
            narrative_visibility=self._choice(
                record,
                "narrative_visibility",
                "visibility",
                sheet,
                row,
                required=False,
                default=Visibility.CONFIDENTIAL,
            ),
            challenges=self._text(
                record, "challenges", sheet, row, max_length=CHALLENGES_MAX_CHARS
            ),
            on_behalf_reference=self._text(
                record, "on_behalf_reference", sheet, row, max_length=200
            ),
            measures=measures,
            assistance_needs=needs,
        )
        if len(self.errors) > errors_before:
            return None
        file_update = _as_int(record.get("update"))
        file_version = _as_int(record.get("version"))
        current = row_data.open
        # Who writes the reference: the Secretariat on the state's behalf only.
        uses_reference = (
            current.on_behalf
            if current
            else permissions.acts_on_behalf(actor, row_data.member_state)
        )
        if not uses_reference:
            content.on_behalf_reference = current.on_behalf_reference if current else ""
        downloaded = _downloaded(row_data, file_update, file_version)
        if downloaded is not None and _same(content, downloaded, uses_reference):
            return None  # left as downloaded
        if current is None and file_update is not None:
            self.error(
                _(
                    "The update on recommendation %(number)s was accepted or deleted "
                    "in the portal after this file was downloaded. Download the "
                    "questionnaire again."
                )
                % {"number": number},
                sheet,
                row,
                "number",
            )
            return None
        if current is not None and current.pk != file_update:
            self.error(
                _(
                    "An update on recommendation %(number)s was started in the portal "
                    "after this file was downloaded. Download the questionnaire again."
                )
                % {"number": number},
                sheet,
                row,
                "number",
            )
            return None
        if current is not None and current.review_state == ReviewState.SUBMITTED:
            self.error(
                _(
                    "The update on recommendation %(number)s is submitted and awaiting "
                    "review, so it cannot change. Withdraw it in the portal first, or "
                    "leave this row as it was downloaded."
                )
                % {"number": number},
                sheet,
                row,
                "status",
            )
            return None
        return PlannedChange(
            number, row_data.recommendation, content, current, file_version, row, sheet
        )


def _downloaded(
    row: RecommendationRow, file_update: int | None, file_version: int | None
) -> UpdateContent | None:
    """What the row said when the file was downloaded, as far as the portal knows."""
    if file_update is None:
        return services.content_of(row.accepted) if row.accepted else None
    if (
        row.open is not None
        and row.open.pk == file_update
        and file_version == row.open.version
    ):
        return services.content_of(row.open)
    # The update changed since: its history holds each version's content.
    event = (
        UpdateEvent.objects.filter(
            update_id=file_update,
            update__recommendation=row.recommendation,
            update__member_state=row.member_state,
            version=file_version,
        )
        .exclude(snapshot={})
        .last()
    )
    return services.content_from_snapshot(event.snapshot) if event else None


def _same(content: UpdateContent, other: UpdateContent, uses_reference: bool) -> bool:
    def key(value: UpdateContent):
        return (
            value.status,
            _text(value.summary),
            _text(value.narrative),
            value.narrative_language,
            value.narrative_visibility,
            _text(value.challenges),
            _text(value.on_behalf_reference) if uses_reference else "",
            [(m.kind, _text(m.title), m.date, _text(m.link)) for m in value.measures],
            [(n.kind, _text(n.description)) for n in value.assistance_needs],
        )

    return key(content) == key(other)


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _as_int(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _as_date(value) -> date | bool | None:
    """A date, None when empty, False when it is not a date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return False
