"""Opening an uploaded questionnaire safely, and checking which file it is.

The size is checked before the file is read and the unzipped size before openpyxl
sees it; a damaged or foreign file, or one downloaded for another state or cycle, is
refused with a message a person can act on, never half read.
"""

import io
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from recommendations.models import MemberState, ReportingCycle
from recommendations.questionnaire.columns import FORMAT, IDENTITY_SHEET
from recommendations.questionnaire.errors import CellError, QuestionnaireInvalid

# A small file can unzip to gigabytes; openpyxl only sees what passes this.
MAX_UNZIPPED_RATIO = 50


def open_workbook(upload: UploadedFile) -> Workbook:
    """The upload as a read-only workbook; QuestionnaireInvalid if it cannot be."""
    limit = settings.QUESTIONNAIRE_MAX_BYTES
    if upload.size > limit:  # type: ignore[operator]  # known for every file received
        raise QuestionnaireInvalid(
            [
                CellError(
                    _(
                        "The file is %(size)s; the questionnaire may be at most "
                        "%(limit)s. Upload the questionnaire downloaded from the "
                        "portal, without pictures or extra sheets."
                    )
                    % {
                        "size": formats.number_format(upload.size // 1024) + " KB",  # type: ignore[operator]  # known for every file received
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


def sheet_rows(
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


def read_identity(
    workbook: Workbook, *, cycle: ReportingCycle, member_state: MemberState
) -> dict[str, str]:
    """What the hidden sheet says, once it says the file is this state's and cycle's.

    Its keys are those the download writes: the format, state, cycle, language (one
    the portal offers) and the titles of the sheets.
    """
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
    for row in sheet_rows(workbook, IDENTITY_SHEET, min_row=1, max_row=50, max_col=2):
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
