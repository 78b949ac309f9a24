"""What each log line is about: the web request (its id, the signed-in user's id) or
the Celery task (its id and name), kept in context variables that core.logging reads.

The request id comes from the proxy's ``X-Request-ID`` when it looks like one, else
it is made here; either way the answer carries it back, so a person reporting a
problem can quote it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Letters, digits and a few separators: nothing that could break a log line or a
# header, long enough for a UUID or a proxy's own scheme.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# URL arguments never written to a log as they are (password reset links).
_SECRET_ARGUMENT = re.compile(r"token|uid|key|secret", re.IGNORECASE)

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
current_task_id: ContextVar[str | None] = ContextVar("task_id", default=None)
current_task_name: ContextVar[str | None] = ContextVar("task_name", default=None)

access_logger = logging.getLogger("portal.request")


def current() -> dict[str, Any]:
    """The context of the running request or task, without what is unknown."""
    values = {
        "request_id": current_request_id.get(),
        "user_id": current_user_id.get(),
        "task_id": current_task_id.get(),
        "task_name": current_task_name.get(),
    }
    return {key: value for key, value in values.items() if value is not None}


def request_id_for(incoming: str | None) -> str:
    """The proxy's id when it is sane, else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def safe_path(request: HttpRequest) -> str:
    """The path without its query string, with secret URL arguments blanked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if _SECRET_ARGUMENT.search(name) and isinstance(value, str) and value:
                path = path.replace(value, "[redacted]")
    return path


def _signed_in_user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user.pk


def _forget_request(**kwargs: Any) -> None:
    current_request_id.set(None)
    current_user_id.set(None)


class RequestContextMiddleware:
    """Sets the request id and the user id for every log line of the request, echoes
    the id in the answer, and writes one line per request (method, path, status)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Django writes its "Not Found: ..." line after the middleware has returned;
        # the context stays until the answer is sent, then nothing carries it.
        request_finished.connect(_forget_request, dispatch_uid=__name__)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute on the request
        current_request_id.set(request_id)
        current_user_id.set(_signed_in_user_id(request))
        started = time.monotonic()
        response = self.get_response(request)
        current_user_id.set(_signed_in_user_id(request))  # signed in or out meanwhile
        response[HEADER] = request_id
        access_logger.info(
            "%s %s %s",
            request.method,
            safe_path(request),
            response.status_code,
            extra={
                "method": request.method,
                "path": safe_path(request),
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000),
            },
        )
        return response


def task_started(
    *, task_id: str | None = None, task: Any = None, **kwargs: Any
) -> None:
    """Celery's task_prerun: the task's id and name on every line it logs."""
    current_task_id.set(task_id)
    current_task_name.set(getattr(task, "name", None))


def task_finished(**kwargs: Any) -> None:
    """Celery's task_postrun."""
    current_task_id.set(None)
    current_task_name.set(None)
