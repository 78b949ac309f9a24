"""The coverage page's follow-up list: each participating state's figures in the
cycle, its focal points and how to reach them, and the last reminder sent to it from
coverage; on the page, and as CSV and XLSX for the Secretariat.

The focal points' names and addresses are for the Secretariat only: callers check
``permissions.can_follow_up`` first.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheets import CsvDictWriter, xlsx_append
from recommendations import permissions
from recommendations.models import (
    FollowUpReminder,
    MemberState,
    ReportingCycle,
    ReviewState,
)
from recommendations.selectors import Coverage

FILE_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class FollowUpRow:
    """A state's line: how far each recommendation got, whom to contact, and the last
    reminder sent from coverage in the cycle."""

    member_state: MemberState
    accepted: int
    submitted: int
    returned: int
    draft: int
    nothing: int
    focal_points: list
    last_reminder: FollowUpReminder | None


def follow_up_rows(*, cycle: ReportingCycle, coverage: Coverage) -> list[FollowUpRow]:
    """The coverage's states in its order, in two queries besides the coverage's."""
    focal_points = permissions.focal_points_of(coverage.states)
    latest = FollowUpReminder.objects.filter(
        cycle=cycle, member_state=OuterRef("member_state")
    ).order_by("-sent_at", "-pk")
    last = {
        reminder.member_state_id: reminder
        for reminder in FollowUpReminder.objects.filter(
            cycle=cycle, pk=Subquery(latest.values("pk")[:1])
        ).select_related("sent_by")
    }
    rows = []
    for state in coverage.states:
        cells = [coverage.cell(state, rec) for rec in coverage.recommendations]
        rows.append(
            FollowUpRow(
                member_state=state,
                accepted=cells.count(ReviewState.ACCEPTED),
                submitted=cells.count(ReviewState.SUBMITTED),
                returned=cells.count(ReviewState.RETURNED),
                draft=cells.count(ReviewState.DRAFT),
                nothing=cells.count(""),
                focal_points=focal_points.get(state.pk, []),
                last_reminder=last.get(state.pk),
            )
        )
    return rows


def _moment(value: datetime | None) -> str:
    """A moment in the portal's time zone, with its offset, to the minute."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(settings.PORTAL_TIME_ZONE))
    return local.isoformat(timespec="minutes")


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _table(rows: list[FollowUpRow]) -> tuple[list[str], list[list]]:
    header = [
        _("Member state"),
        _("ISO code"),
        _("Accepted"),
        _("Awaiting review"),
        _("Returned"),
        _("Draft only"),
        _("Nothing"),
        _("Focal points"),
        _("Last reminded (%(zone)s)") % {"zone": settings.PORTAL_TIME_ZONE},
        _("Reminded by"),
    ]
    lines = [
        [
            row.member_state.name,
            row.member_state.iso3,
            row.accepted,
            row.submitted,
            row.returned,
            row.draft,
            row.nothing,
            "; ".join(f"{_name(user)} <{user.email}>" for user in row.focal_points),
            _moment(row.last_reminder.sent_at if row.last_reminder else None),
            _name(row.last_reminder.sent_by) if row.last_reminder else "",
        ]
        for row in rows
    ]
    return header, lines


def as_csv(rows: list[FollowUpRow]) -> bytes:
    """The list as CSV; text that looks like a formula starts with an apostrophe."""
    header, lines = _table(rows)
    buffer = io.StringIO()
    writer = CsvDictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for line in lines:
        writer.writerow(dict(zip(header, line, strict=True)))
    # A byte-order mark, so spreadsheet programs read the accents right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: list[FollowUpRow]) -> bytes:
    """The list as XLSX; every text is a text cell."""
    header, lines = _table(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Coverage")[:31]
    xlsx_append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        xlsx_append(sheet, line)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(*, cycle: ReportingCycle, file_format: str, now: datetime) -> str:
    day = now.astimezone(ZoneInfo(settings.PORTAL_TIME_ZONE)).date().isoformat()
    return f"coverage-{cycle.slug}-{day}.{file_format}"
