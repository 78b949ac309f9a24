"""The questionnaire download: a state's updates as an XLSX workbook.

One sheet of instructions, then the rows to fill in (one per recommendation), the
measures and the assistance needs, with drop-down lists and checks Excel enforces
while a person types; a hidden sheet of those lists, and a very hidden one saying
which state, cycle and language the file is for. Only the cells to fill in are
unlocked, and the sheets can be neither renamed nor removed: the upload finds them.

Every text is written as a text cell, never a formula, whatever it starts with
(``core.spreadsheets``).
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheets import xlsx_append, xlsx_write
from recommendations import selectors, services
from recommendations.models import (
    STATUS_DEFINITIONS,
    AssistanceNeed,
    Measure,
    MemberState,
    ProgressUpdate,
    ReportingCycle,
    ReviewState,
    Status,
    Visibility,
)
from recommendations.questionnaire.columns import (
    FORMAT,
    IDENTITY_SHEET,
    MAIN,
    MAX_ROWS,
    MEASURES,
    NEEDS,
    Column,
)
from recommendations.questionnaire.rows import RecommendationRow, recommendation_rows
from recommendations.text_lengths import CHALLENGES_MAX_CHARS, NARRATIVE_MAX_CHARS

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS_SHEET = "lists"

VICTIM_WARNING = gettext_lazy(
    "Do not write names, initials, photographs, addresses, case numbers or any "
    "detail that could lead to a victim or survivor, in any field or file."
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B3D6B")
LOCKED_FILL = PatternFill("solid", fgColor="F3F5F8")
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


def questionnaire_filename(*, cycle: ReportingCycle, member_state: MemberState) -> str:
    """The download's file name, e.g. ``questionnaire-MEX-eighth-meeting.xlsx``."""
    return f"questionnaire-{member_state.iso3}-{cycle.slug}.xlsx"


def questionnaire_build(
    *, cycle: ReportingCycle, member_state: MemberState, language: str
) -> bytes:
    """The state's questionnaire as an XLSX file, in ``language``."""
    with translation.override(language):
        rows = recommendation_rows(cycle=cycle, member_state=member_state)
        workbook = Workbook()
        instructions = workbook.active
        instructions.title = _sheet_title(_("Instructions"))
        sheet = workbook.create_sheet(_sheet_title(_("Questionnaire")))
        measures = workbook.create_sheet(_sheet_title(_("Measures")))
        needs = workbook.create_sheet(_sheet_title(_("Assistance needs")))
        lists = _write_lists(workbook.create_sheet(LISTS_SHEET), rows)
        _write_identity(
            workbook.create_sheet(IDENTITY_SHEET),
            cycle=cycle,
            member_state=member_state,
            language=language,
            sheets=(sheet.title, measures.title, needs.title),
        )
        _write_instructions(
            instructions,
            cycle=cycle,
            member_state=member_state,
            sheets=(sheet.title, measures.title, needs.title),
        )
        _write_main(sheet, rows, lists)
        _write_measures(measures, rows, lists)
        _write_needs(needs, rows, lists)
        # Sheets can be neither renamed, removed nor unhidden: the upload finds them.
        workbook.security = WorkbookProtection(lockStructure=True)
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(text: str) -> str:
    cleaned = "".join(ch for ch in text if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def _header(sheet, columns: list[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = xlsx_write(sheet, 1, index, str(column.header))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        dimension.hidden = column.hidden
    sheet.freeze_panes = "B2"


@dataclass
class _Lists:
    ranges: dict[str, str]  # list name -> absolute reference for data validation


# The drop-down lists: (key, values as the person reads them).
def _list_values(rows: list[RecommendationRow]) -> dict[str, list[str]]:
    return {
        "status": [str(label) for _value, label in Status.choices],
        "language": [str(name) for _code, name in settings.LANGUAGES],
        "visibility": [str(label) for _value, label in Visibility.choices],
        "measure": [str(label) for _value, label in Measure.Kind.choices],
        "need": [str(label) for _value, label in AssistanceNeed.Kind.choices],
        "number": [str(row.recommendation.number) for row in rows],
    }


def _write_lists(sheet, rows: list[RecommendationRow]) -> _Lists:
    sheet.sheet_state = "hidden"
    ranges = {}
    for index, (key, values) in enumerate(_list_values(rows).items(), start=1):
        letter = get_column_letter(index)
        xlsx_write(sheet, 1, index, key)
        for offset, value in enumerate(values, start=2):
            xlsx_write(sheet, offset, index, value)
        ranges[key] = (
            f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(values) + 1}"
        )
    sheet.protection.sheet = True
    return _Lists(ranges)


def _write_identity(
    sheet,
    *,
    cycle: ReportingCycle,
    member_state: MemberState,
    language: str,
    sheets: tuple[str, str, str],
) -> None:
    # Tells the upload which state and cycle the file is for; people never see it.
    sheet.sheet_state = "veryHidden"
    for key, value in [
        ("format", FORMAT),
        ("state", member_state.iso3),
        ("cycle", cycle.slug),
        ("language", language),
        ("generated_at", timezone.now().isoformat(timespec="seconds")),
        ("sheet_questionnaire", sheets[0]),
        ("sheet_measures", sheets[1]),
        ("sheet_needs", sheets[2]),
    ]:
        xlsx_append(sheet, [key, value])
    sheet.protection.sheet = True


def _write_instructions(
    sheet,
    *,
    cycle: ReportingCycle,
    member_state: MemberState,
    sheets: tuple[str, str, str],
) -> None:
    deadline = selectors.deadline_for(cycle=cycle, member_state=member_state)
    main, measures, needs = sheets
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    lines: list[tuple[str, str, Font | None]] = [
        (
            _("Questionnaire of %(state)s") % {"state": member_state.name},
            "",
            Font(bold=True, size=14),
        ),
        (_("Reporting cycle"), str(cycle), None),
        (
            _("Deadline for submissions"),
            f"{formats.date_format(deadline.local, 'DATETIME_FORMAT')} "
            f"({deadline.time_zone})"
            + (f" · {_('extended')}" if deadline.extended else ""),
            None,
        ),
        (
            _("Downloaded"),
            formats.date_format(
                timezone.localtime(timezone.now(), cycle.zone), "DATETIME_FORMAT"
            )
            + f" ({cycle.time_zone})",
            None,
        ),
        *(
            [
                (
                    _("Translation"),
                    _(
                        "The themes and the texts of the recommendations are working "
                        "translations; the English text is authoritative."
                    ),
                    None,
                )
            ]
            if any(
                recommendation.translated.text.is_working
                for recommendation in cycle.instrument.recommendations.all()
            )
            else []
        ),
        ("", "", None),
        (
            _("No update may identify a victim."),
            str(VICTIM_WARNING),
            Font(bold=True, color="A4161A"),
        ),
        ("", "", None),
        (_("How to fill it in"), "", Font(bold=True)),
        (
            "1",
            _(
                "In the sheet “%(sheet)s”, one row per recommendation: choose the "
                "status from the drop-down list and write a public summary of two or "
                "three sentences (up to 400 characters). The narrative, its language, "
                "who may read it and the challenges are optional."
            )
            % {"sheet": main},
            None,
        ),
        (
            "2",
            _(
                "List the measures taken in the sheet “%(measures)s” and the "
                "technical assistance needed in “%(needs)s”, one per row, with the "
                "number of the recommendation. For a recommendation you change, these "
                "rows replace the measures and needs of its update."
            )
            % {"measures": measures, "needs": needs},
            None,
        ),
        (
            "3",
            _(
                "Rows already filled in show your drafts or, where there is none, the "
                "last accepted update. Leave a row as it is to leave its "
                "recommendation unchanged."
            ),
            None,
        ),
        (
            "4",
            _(
                "Upload the file on the questionnaire page of the portal. Every row is "
                "checked, and nothing is saved unless all rows are valid; any error "
                "is listed by sheet, row and column."
            ),
            None,
        ),
        (
            "5",
            _(
                "Uploading saves drafts and never submits them: review the drafts in "
                "the portal and submit them before the deadline."
            ),
            None,
        ),
        (
            "6",
            _(
                "An update that is submitted and awaiting review cannot change: "
                "withdraw it in the portal first. For a recommendation whose update "
                "was accepted, a changed row starts a new draft, which replaces the "
                "accepted update once the Secretariat accepts it."
            ),
            None,
        ),
        (
            "7",
            _(
                "This file is for %(state)s and this reporting cycle only: the portal "
                "refuses it for another state or cycle, and refuses a changed row "
                "whose update changed in the portal after the download. Do not rename "
                "the sheets or change the hidden columns."
            )
            % {"state": member_state.name},
            None,
        ),
        ("", "", None),
        (_("The status scale"), "", Font(bold=True)),
        *[
            (str(label), str(STATUS_DEFINITIONS[value]), None)
            for value, label in Status.choices
        ],
    ]
    for label, text, font in lines:
        xlsx_append(sheet, [label, text])
        row = sheet.max_row
        for cell in sheet[row]:
            cell.alignment = WRAP
            if font is not None:
                cell.font = font
    sheet.protection.sheet = True


def _validation(
    list_range: str | None = None,
    *,
    prompt: str = "",
    error: str = "",
    **kwargs,
) -> DataValidation:
    if list_range:
        kwargs.update(type="list", formula1=list_range)
    validation = DataValidation(allow_blank=True, **kwargs)
    if prompt:
        validation.showInputMessage = True
        validation.prompt = prompt[:255]
    if error:
        validation.showErrorMessage = True
        validation.errorTitle = _("Not allowed")[:32]
        validation.error = error[:255]
    return validation


def _length_check(count: int) -> dict:
    """Excel refuses a text longer than the import accepts, before it is sent."""
    return {
        "type": "textLength",
        "operator": "lessThanOrEqual",
        "formula1": str(count),
        "error": _("At most %(max)s characters.") % {"max": count},
    }


def _write_main(sheet, rows: list[RecommendationRow], lists: _Lists) -> None:
    _header(sheet, MAIN)
    labels = {
        "status": dict(Status.choices),
        "language": dict(settings.LANGUAGES),
        "visibility": dict(Visibility.choices),
    }
    for index, row in enumerate(rows, start=2):
        recommendation, baseline = row.recommendation, row.baseline
        content = services.content_of(baseline) if baseline else None
        values = {
            "number": recommendation.number,
            "theme": str(recommendation.theme.translated.title),
            "text": str(recommendation.translated.text),
            "accepted": _accepted_text(row.accepted),
            "in_progress": _in_progress_text(row),
            "status": str(labels["status"].get(content.status, "")) if content else "",
            "summary": content.summary if content else "",
            "narrative": content.narrative if content else "",
            "narrative_language": (
                str(labels["language"].get(content.narrative_language, ""))
                if content
                else ""
            ),
            "narrative_visibility": (
                str(labels["visibility"][content.narrative_visibility])
                if content
                else ""
            ),
            "challenges": content.challenges if content else "",
            "on_behalf_reference": content.on_behalf_reference if content else "",
            "update": row.open.pk if row.open else None,
            "version": row.open.version if row.open else None,
        }
        for column_index, column in enumerate(MAIN, start=1):
            cell = xlsx_write(sheet, index, column_index, values[column.key] or None)
            cell.alignment = WRAP
            if column.editable:
                cell.protection = UNLOCKED
            else:
                cell.fill = LOCKED_FILL
    last = max(len(rows) + 1, 2)
    letters = {column.key: get_column_letter(i) for i, column in enumerate(MAIN, 1)}
    scale = "; ".join(str(label) for _value, label in Status.choices)
    for key, validation in [
        (
            "status",
            _validation(
                lists.ranges["status"],
                prompt=_("Choose from the list: %(scale)s.") % {"scale": scale},
                error=_("Choose a status from the list."),
            ),
        ),
        (
            "summary",
            _validation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1="400",
                prompt=_("Up to 400 characters, published once accepted. ")
                + _("No update may identify a victim."),
                error=_("The public summary is limited to 400 characters."),
            ),
        ),
        (
            "narrative",
            _validation(
                prompt=str(VICTIM_WARNING), **_length_check(NARRATIVE_MAX_CHARS)
            ),
        ),
        ("challenges", _validation(**_length_check(CHALLENGES_MAX_CHARS))),
        (
            "narrative_language",
            _validation(
                lists.ranges["language"], error=_("Choose a language from the list.")
            ),
        ),
        (
            "narrative_visibility",
            _validation(
                lists.ranges["visibility"],
                error=_("Choose who may read the narrative from the list."),
            ),
        ),
    ]:
        sheet.add_data_validation(validation)
        validation.add(f"{letters[key]}2:{letters[key]}{last}")
    sheet.protection.sheet = True
    # Columns and rows can still be resized, so long texts can be read.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _accepted_text(update: ProgressUpdate | None) -> str:
    if update is None:
        return _("No information")
    return _("%(status)s (accepted %(date)s)") % {
        "status": update.get_status_display(),
        "date": formats.date_format(update.reviewed_at, "DATE_FORMAT"),
    }


def _in_progress_text(row: RecommendationRow) -> str:
    update = row.open
    if update is None:
        return ""
    if update.review_state == ReviewState.SUBMITTED:
        return _("Submitted, awaiting review: withdraw it in the portal to change it.")
    if update.review_state == ReviewState.RETURNED:
        return _("Returned by the Secretariat: %(comment)s") % {
            "comment": row.return_comment
        }
    return _("Draft")


def _write_list_sheet(
    sheet,
    columns: list[Column],
    records: list[list],
    validations: dict[str, DataValidation],
) -> None:
    _header(sheet, columns)
    for record in records:
        xlsx_append(sheet, record)
    letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, 1)}
    for key, validation in validations.items():
        sheet.add_data_validation(validation)
        validation.add(f"{letters[key]}2:{letters[key]}{MAX_ROWS}")
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
        for cell in row:
            cell.alignment = WRAP


def _write_measures(sheet, rows: list[RecommendationRow], lists: _Lists) -> None:
    kinds = dict(Measure.Kind.choices)
    records = []
    for row in rows:
        if row.baseline:
            for measure in services.content_of(row.baseline).measures:
                records.append(
                    [
                        row.recommendation.number,
                        str(kinds[measure.kind]),
                        measure.title,
                        measure.date,
                        measure.link or None,
                    ]
                )
    _write_list_sheet(
        sheet,
        MEASURES,
        records,
        {
            "number": _validation(
                lists.ranges["number"],
                error=_("Choose the number of a recommendation from the list."),
            ),
            "kind": _validation(
                lists.ranges["measure"], error=_("Choose a type from the list.")
            ),
            "date": _validation(
                type="date",
                operator="greaterThan",
                formula1="1",
                prompt=_("A date, for example 2026-05-01."),
                error=_("Write a date, for example 2026-05-01."),
            ),
        },
    )
    for cell in sheet["D"][1:]:
        cell.number_format = "yyyy-mm-dd"


def _write_needs(sheet, rows: list[RecommendationRow], lists: _Lists) -> None:
    kinds = dict(AssistanceNeed.Kind.choices)
    records = [
        [row.recommendation.number, str(kinds[need.kind]), need.description or None]
        for row in rows
        if row.baseline
        for need in services.content_of(row.baseline).assistance_needs
    ]
    _write_list_sheet(
        sheet,
        NEEDS,
        records,
        {
            "number": _validation(
                lists.ranges["number"],
                error=_("Choose the number of a recommendation from the list."),
            ),
            "kind": _validation(
                lists.ranges["need"], error=_("Choose a type from the list.")
            ),
        },
    )
