"""A problem found in an upload, and the error that carries every such problem."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CellError:
    """A problem a person can find and fix: where it is, and what to do."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # its letter and header, e.g. "F (Status)"


class QuestionnaireInvalid(Exception):
    """The upload was refused, and nothing saved: every problem found, in order."""

    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors
