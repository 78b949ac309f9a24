"""The offline questionnaire: a state's updates as an XLSX workbook, and back.

A focal point downloads the workbook, fills it in with colleagues who never sign in,
and uploads it. Every row is checked first; then every changed row goes through the
same services as the form (``progress_update_create`` and ``progress_update_edit``)
in one transaction, so nothing is saved unless every row is. An upload saves drafts
and never submits.

What a changed row does depends on the recommendation's update in the portal now:
none or an accepted one, a new draft (superseding the accepted one once accepted); a
draft or a returned update, an edit of it (a returned one becomes a draft, as with the
form); a submitted one, an error: withdraw it first. A row left as downloaded changes
nothing. Each row carries the id and version of the update it was downloaded from,
hidden, so a file older than the portal's latest change is refused rather than let
overwrite it.

Every text is written as a text cell, never a formula, whatever it starts with
(``core.spreadsheets``), and read back as it is: a row left as downloaded reads as
downloaded, and ``=1+1`` or ``-5 victims assisted`` typed by a state (Excel needs a
leading apostrophe for those, which it keeps out of the value) is saved as the state
sees it. A damaged file is refused with a message, never half read.
"""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheets import xlsx_append, xlsx_write
from portal.models import User
from portal.roles import is_secretariat
from recommendations import permissions, selectors, services
from recommendations.models import (
    STATUS_DEFINITIONS,
    AssistanceNeed,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    Status,
    UpdateEvent,
    Visibility,
)
from recommendations.services import (
    MeasureData,
    NeedData,
    StaleUpdateError,
    UpdateContent,
    WorkflowError,
)

FORMAT = "tip-portal-questionnaire/1"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IDENTITY_SHEET = "portal"
LISTS_SHEET = "lists"
MAX_ROWS = 1000  # per sheet: far above 21 recommendations and their measures
# A small file can unzip to gigabytes; openpyxl only sees what passes this.
MAX_UNZIPPED_RATIO = 50

VICTIM_WARNING = gettext_lazy(
    "Do not write names, initials, photographs, addresses, case numbers or any "
    "detail that could lead to a victim or survivor, in any field or file."
)


@dataclass(frozen=True)
class Column:
    key: str
    header: Promise | str
    width: int
    editable: bool = False
    hidden: bool = False


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
TEXT_FIELDS = services.TEXT_FIELDS


@dataclass(frozen=True)
class CellError:
    """A problem a person can find and fix: where it is, and what to do."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # its letter and header, e.g. "F (Status)"


class QuestionnaireInvalid(Exception):
    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0


# --- The state's updates as the workbook shows them ---------------------------------


@dataclass
class _Row:
    recommendation: Recommendation
    open: ProgressUpdate | None  # draft, returned or submitted
    accepted: ProgressUpdate | None  # the current status
    member_state: MemberState
    return_comment: str = ""

    @property
    def baseline(self) -> ProgressUpdate | None:
        return self.open or self.accepted


def _rows(*, cycle: ReportingCycle, member_state: MemberState) -> list[_Row]:
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
            _Row(
                recommendation=recommendation,
                open=current,
                accepted=accepted.get(recommendation.pk),
                member_state=member_state,
                return_comment=comments.get(current.pk, "") if current else "",
            )
        )
    return rows


# --- Download ----------------------------------------------------------------------


def questionnaire_filename(*, cycle: ReportingCycle, member_state: MemberState) -> str:
    return f"questionnaire-{member_state.iso3}-{cycle.slug}.xlsx"


def questionnaire_build(
    *, cycle: ReportingCycle, member_state: MemberState, language: str
) -> bytes:
    """The state's questionnaire as an XLSX file, in ``language``."""
    with translation.override(language):
        rows = _rows(cycle=cycle, member_state=member_state)
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


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B3D6B")
LOCKED_FILL = PatternFill("solid", fgColor="F3F5F8")
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


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
def _list_values(rows: list[_Row]) -> dict[str, list[str]]:
    return {
        "status": [str(label) for _value, label in Status.choices],
        "language": [str(name) for _code, name in settings.LANGUAGES],
        "visibility": [str(label) for _value, label in Visibility.choices],
        "measure": [str(label) for _value, label in Measure.Kind.choices],
        "need": [str(label) for _value, label in AssistanceNeed.Kind.choices],
        "number": [str(row.recommendation.number) for row in rows],
    }


def _write_lists(sheet, rows: list[_Row]) -> _Lists:
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
        (_("Reporting cycle"), cycle.name, None),
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


def _write_main(sheet, rows: list[_Row], lists: _Lists) -> None:
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
            "theme": str(recommendation.theme.title_translated()),
            "text": str(recommendation.text_translated()),
            "accepted": _accepted_text(row.accepted),
            "in_progress": _in_progress_text(row),
            "status": str(labels["status"][content.status]) if content else "",
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
            _validation(prompt=str(VICTIM_WARNING)),
        ),
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


def _in_progress_text(row: _Row) -> str:
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


def _write_measures(sheet, rows: list[_Row], lists: _Lists) -> None:
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


def _write_needs(sheet, rows: list[_Row], lists: _Lists) -> None:
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


# --- Upload ------------------------------------------------------------------------


def questionnaire_import(
    *,
    actor: User,
    cycle: ReportingCycle,
    member_state: MemberState,
    upload: UploadedFile,
) -> ImportResult:
    """Check a filled-in questionnaire and save its changed rows as drafts.

    All or nothing: raises QuestionnaireInvalid with every problem found, by sheet,
    row and column, and then nothing has changed.
    """
    if not permissions.can_report_on(actor, member_state):
        raise PermissionDenied
    workbook = _open(upload)
    try:
        identity = _identity(workbook, cycle=cycle, member_state=member_state)
        with translation.override(identity["language"]):
            reader = _Reader(workbook, identity)
            rows = _rows(cycle=cycle, member_state=member_state)
            plan = reader.plan(rows, actor=actor)
    finally:
        workbook.close()
    if reader.errors:
        raise QuestionnaireInvalid(reader.errors)
    return _apply(plan, actor=actor, cycle=cycle, member_state=member_state)


def _open(upload: UploadedFile) -> Workbook:
    limit = settings.QUESTIONNAIRE_MAX_BYTES
    if upload.size > limit:
        raise QuestionnaireInvalid(
            [
                CellError(
                    _(
                        "The file is %(size)s; the questionnaire may be at most "
                        "%(limit)s. Upload the questionnaire downloaded from the "
                        "portal, without pictures or extra sheets."
                    )
                    % {
                        "size": formats.number_format(upload.size // 1024) + " KB",
                        "limit": formats.number_format(limit // 1024) + " KB",
                    }
                )
            ]
        )
    unreadable = QuestionnaireInvalid(
        [
            CellError(
                _(
                    "The file could not be read as an Excel workbook (.xlsx). Upload "
                    "the questionnaire downloaded from the portal, saved in the Excel "
                    "format (.xlsx), not as .xls, .csv or .ods."
                )
            )
        ]
    )
    data = upload.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if unzipped > limit * MAX_UNZIPPED_RATIO:
        raise unreadable
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        # openpyxl raises many kinds of error on a damaged or foreign file.
        raise unreadable from None


def _sheet_rows(
    workbook: Workbook, title: str, *, min_row: int, max_row: int, max_col: int
) -> list[tuple]:
    """The values of the sheet's rows, read all at once.

    openpyxl reads no more than the head of each sheet when it opens a workbook, so
    a damaged sheet (broken XML, a part corrupt in the zip, a cell that cannot be
    what it says) fails only here, with errors of many kinds. Catching them all is
    safe because this reads the file and does nothing else.
    """
    try:
        return list(
            workbook[title].iter_rows(
                min_row=min_row, max_row=max_row, max_col=max_col, values_only=True
            )
        )
    except Exception:
        raise QuestionnaireInvalid(
            [
                CellError(
                    _(
                        "The workbook is damaged: the sheet “%(sheet)s” could not be "
                        "read. Nothing was saved. Open the file in Excel or "
                        "LibreOffice and save it again as .xlsx, or download the "
                        "questionnaire again and fill in that copy."
                    )
                    % {"sheet": title}
                )
            ]
        ) from None


def _identity(
    workbook: Workbook, *, cycle: ReportingCycle, member_state: MemberState
) -> dict[str, str]:
    not_ours = QuestionnaireInvalid(
        [
            CellError(
                _(
                    "This workbook is not a questionnaire downloaded from the portal. "
                    "Download the questionnaire of %(state)s, fill it in and upload it."
                )
                % {"state": member_state.name}
            )
        ]
    )
    if IDENTITY_SHEET not in workbook.sheetnames:
        raise not_ours
    identity = {}
    for row in _sheet_rows(workbook, IDENTITY_SHEET, min_row=1, max_row=50, max_col=2):
        if row and row[0]:
            identity[str(row[0])] = "" if row[1] is None else str(row[1])
    if identity.get("format") != FORMAT:
        raise not_ours
    if identity.get("state") != member_state.iso3:
        other = MemberState.objects.filter(iso3=identity.get("state", "")).first()
        raise QuestionnaireInvalid(
            [
                CellError(
                    _(
                        "This questionnaire is for %(other)s, not for %(state)s. "
                        "Nothing was saved. Download the questionnaire of %(state)s "
                        "and upload that one."
                    )
                    % {
                        "other": other.name if other else identity.get("state", "?"),
                        "state": member_state.name,
                    }
                )
            ]
        )
    if identity.get("cycle") != cycle.slug:
        raise QuestionnaireInvalid(
            [
                CellError(
                    _(
                        "This questionnaire was downloaded for another reporting "
                        "cycle, not “%(cycle)s”. Nothing was saved. Download the "
                        "questionnaire again."
                    )
                    % {"cycle": cycle.name}
                )
            ]
        )
    codes = {code for code, _name in settings.LANGUAGES}
    if identity.get("language") not in codes:
        identity["language"] = settings.LANGUAGE_CODE
    return identity


@dataclass
class _Planned:
    number: int
    recommendation: Recommendation
    content: UpdateContent
    update: ProgressUpdate | None  # None: create a new draft
    version: int | None
    row: int
    sheet: str


class _Reader:
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
            index = next(i for i, c in enumerate(columns, 1) if c.key == column)
            where = f"{get_column_letter(index)} ({columns[index - 1].header})"
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
        rows = _sheet_rows(
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
            description = self._text(record, "description", sheet, row)
            if number is not None:
                needs.setdefault(number, []).append(
                    NeedData(kind=kind, description=description)
                )
        return measures, needs

    def plan(self, rows: list[_Row], *, actor: User) -> list[_Planned]:
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

    def _plan_row(self, row_data: _Row, record, row, measures, needs, *, actor):
        sheet = self.sheets["main"]
        number = row_data.recommendation.number
        editable = [c.key for c in MAIN if c.editable]
        filled = any(record.get(key) not in (None, "") for key in editable)
        if not filled and not measures and not needs and row_data.baseline is None:
            return None  # nothing to report on this one yet
        errors_before = len(self.errors)
        content = UpdateContent(
            status=self._choice(record, "status", "status", sheet, row, required=True),
            summary=self._text(
                record, "summary", sheet, row, max_length=400, required=True
            ),
            narrative=self._text(record, "narrative", sheet, row),
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
            challenges=self._text(record, "challenges", sheet, row),
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
        uses_reference = current.on_behalf if current else is_secretariat(actor)
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
        return _Planned(
            number, row_data.recommendation, content, current, file_version, row, sheet
        )


def _downloaded(
    row: _Row, file_update: int | None, file_version: int | None
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


def _apply(
    plan: list[_Planned],
    *,
    actor: User,
    cycle: ReportingCycle,
    member_state: MemberState,
) -> ImportResult:
    result = ImportResult(unchanged=0)
    errors: list[CellError] = []
    with transaction.atomic():
        for item in plan:
            try:
                with transaction.atomic():
                    if item.update is None:
                        services.progress_update_create(
                            actor=actor,
                            cycle=cycle,
                            member_state=member_state,
                            recommendation=item.recommendation,
                            content=item.content,
                        )
                        result.created.append(item.number)
                    else:
                        services.progress_update_edit(
                            update=item.update,
                            actor=actor,
                            content=item.content,
                            expected_version=item.version or item.update.version,
                        )
                        result.updated.append(item.number)
            except StaleUpdateError as error:
                errors.append(
                    CellError(
                        _(
                            "%(name)s changed the update on recommendation %(number)s "
                            "in the portal after this file was downloaded. Download "
                            "the questionnaire again."
                        )
                        % {"name": error.by, "number": item.number},
                        item.sheet,
                        item.row,
                    )
                )
            except WorkflowError as error:
                errors.append(CellError(error.message, item.sheet, item.row))
            except ValidationError as error:
                errors.extend(_service_errors(error, item))
        if errors:
            # Leaving the block by an exception rolls every row back.
            raise QuestionnaireInvalid(errors)
    result.unchanged = len(
        selectors.recommendations_for(
            instrument=cycle.instrument, member_state=member_state
        )
    ) - len(plan)
    return result


def _service_errors(error: ValidationError, item: _Planned) -> list[CellError]:
    letters = {c.key: (get_column_letter(i), c.header) for i, c in enumerate(MAIN, 1)}
    if not hasattr(error, "error_dict"):
        return [CellError(message, item.sheet, item.row) for message in error.messages]
    found = []
    for key, errors in error.error_dict.items():
        letter, header = letters.get(key, ("", ""))
        column = f"{letter} ({header})" if letter else ""
        for message in ValidationError(errors).messages:
            found.append(CellError(message, item.sheet, item.row, column))
    return found


# --- Cell values -------------------------------------------------------------------


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
