"""The upload: a filled-in questionnaire saved as drafts, all or nothing.

Every row is checked first (``reader``); then every changed row goes through the same
services as the form (``progress_update_create`` and ``progress_update_edit``) in one
transaction, so nothing is saved unless every row is. An upload saves drafts and
never submits.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from recommendations import permissions, selectors, services
from recommendations.models import MemberState, ReportingCycle
from recommendations.questionnaire.columns import MAIN, column_label
from recommendations.questionnaire.errors import CellError, QuestionnaireInvalid
from recommendations.questionnaire.reader import PlannedChange, Reader
from recommendations.questionnaire.rows import recommendation_rows
from recommendations.questionnaire.upload import open_workbook, read_identity
from recommendations.services import StaleUpdateError, WorkflowError


@dataclass
class ImportResult:
    """What an upload saved: numbers of the recommendations, and how many it left."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0


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
    workbook = open_workbook(upload)
    try:
        identity = read_identity(workbook, cycle=cycle, member_state=member_state)
        with translation.override(identity["language"]):
            reader = Reader(workbook, identity)
            rows = recommendation_rows(cycle=cycle, member_state=member_state)
            plan = reader.plan(rows, actor=actor)
    finally:
        workbook.close()
    if reader.errors:
        raise QuestionnaireInvalid(reader.errors)
    return _apply(plan, actor=actor, cycle=cycle, member_state=member_state)


def _apply(
    plan: list[PlannedChange],
    *,
    actor: User,
    cycle: ReportingCycle,
    member_state: MemberState,
) -> ImportResult:
    """Save every planned change, or none: any refusal rolls them all back."""
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


def _service_errors(error: ValidationError, item: PlannedChange) -> list[CellError]:
    """A service's refusal of a row, each message at its column where it has one."""
    if not hasattr(error, "error_dict"):
        return [CellError(message, item.sheet, item.row) for message in error.messages]
    found = []
    for key, errors in error.error_dict.items():
        column = column_label(MAIN, key)
        for message in ValidationError(errors).messages:
            found.append(CellError(message, item.sheet, item.row, column))
    return found
