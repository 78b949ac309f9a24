"""The one error the shared plumbing knows: a step the domain refuses now.

Apps raise subclasses with a message a person can read; the API answers 409 with
``code`` and whatever ``details()`` adds, the pages show the message.
"""

from typing import Any


class ConflictError(Exception):
    code = "conflict"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, Any]:
        return {}
