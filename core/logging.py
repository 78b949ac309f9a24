"""Log filters: the request's or task's context on every line, and nothing secret.

Secrets (passwords, tokens, cookies, sessions) and what people wrote or are called
(narratives, summaries, form bodies, email addresses, usernames) are blanked wherever
a key names them: in the values logged with a line (``extra``), in dictionaries
among its arguments, and in ``key=value`` pairs of the message itself; so is any
email address. A Django request attached to a line becomes its method and path,
without the query string; a model instance, its label and id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from core import request_context

REDACTED = "[redacted]"
SENSITIVE_KEY = re.compile(
    r"passw|secret|token|authorization|cookie|csrf|session|api[-_]?key|otp|"
    r"signature|narrative|summary|challenges|description|body|email|username",
    re.IGNORECASE,
)
# key=value, key: value, "key": "value" in a message, the key naming a secret.
_SENSITIVE_PAIR = re.compile(
    r"""(?P<key>[\w-]*(?:"""
    + SENSITIVE_KEY.pattern
    + r""")[\w-]*)(?P<sep>["']?\s*[:=]\s*)"""
    + r"""(?P<value>"[^"]*"|'[^']*'|[^\s&"',;)}]+)""",
    re.IGNORECASE,
)
# An email address anywhere, such as in the arguments of a task Celery logs.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# What every LogRecord has; anything else on a record came with the line (extra).
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime"}


def redact_text(text: str) -> str:
    return _EMAIL.sub(REDACTED, _SENSITIVE_PAIR.sub(_blank_value, text))


def _blank_value(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match['key']}{match['sep']}{quote}{REDACTED}{quote}"


def redact(value: Any) -> Any:
    """A copy of ``value`` with the values of sensitive keys blanked, at any depth."""
    if isinstance(value, HttpRequest):
        return f"{value.method} {request_context.safe_path(value)}"
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        # A model instance's text may be a username or a narrative: its id instead.
        return f"{value._meta.label} {value.pk}"
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and SENSITIVE_KEY.search(key)
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


class ContextFilter(logging.Filter):
    """Adds request_id, user_id, task_id and task_name, when known."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in request_context.current().items():
            setattr(record, key, value)
        return True


class RedactFilter(logging.Filter):
    """Blanks secrets and personal text in the line, its arguments and its extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping):
            record.msg = redact(record.msg)
        else:
            # Rendered here, so that a secret in an argument is caught in its place.
            if record.args:
                record.args = redact(record.args)
            record.msg = redact_text(record.getMessage())
            record.args = None
        for key in set(record.__dict__) - _RECORD_ATTRIBUTES:
            value = record.__dict__[key]
            record.__dict__[key] = (
                REDACTED if SENSITIVE_KEY.search(key) else redact(value)
            )
        return True
