"""The offline questionnaire: a state's updates as an XLSX workbook, and back.

A focal point downloads the workbook, fills it in with colleagues who never sign in,
and uploads it. The upload is checked cell by cell and saved as drafts, all or
nothing; it never submits.

- ``columns``: the layout both sides share (the sheets' columns, the hidden identity).
- ``rows``: the state's updates, one row per recommendation, as the workbook shows them.
- ``export``: the download, built as a workbook.
- ``upload``: opening an uploaded file safely, and checking it is this state's.
- ``reader``: the file's rows read and checked into the changes they ask for.
- ``importer``: those changes saved through the workflow's services.
- ``errors``: the problems a person is shown, by sheet, row and column.
"""

from recommendations.questionnaire.errors import QuestionnaireInvalid
from recommendations.questionnaire.export import (
    CONTENT_TYPE,
    questionnaire_build,
    questionnaire_filename,
)
from recommendations.questionnaire.importer import ImportResult, questionnaire_import

__all__ = [
    "CONTENT_TYPE",
    "ImportResult",
    "QuestionnaireInvalid",
    "questionnaire_build",
    "questionnaire_filename",
    "questionnaire_import",
]
