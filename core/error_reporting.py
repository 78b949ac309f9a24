"""Error reporting to Sentry (or GlitchTip, or a self-hosted Sentry: any DSN), opt-in.

Settings call ``init`` only when ``SENTRY_DSN`` is set. What leaves the server is the
error, its stack without local variables, the request's method, path and a few
harmless headers, the user's id and the request id that the logs carry: never a
body, a cookie, a credential, a query string, an address or an email.
"""

from __future__ import annotations

from typing import Any, cast

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint

from core import request_context
from core.logging import redact

# Headers that say nothing about who is asking, nor carry a credential.
_KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        request_context.HEADER.lower(),
    }
)


def init(
    *,
    dsn: str,
    environment: str,
    traces_sample_rate: float,
    release: str | None = None,
    transport: Any = None,
) -> None:
    """Start the SDK; ``transport`` is for tests, which keep the events in memory."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # deprecated in the 2.7x releases, honoured until 3
        include_local_variables=False,  # a frame's locals may hold a password
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        transport=transport,
    )


def scrub_event(event: Event, hint: Hint) -> Event:
    request = event.get("request")
    if request:
        # The SDK types the request dict[str, object]; its headers map names to values.
        headers = cast("dict[str, str]", request.get("headers") or {})
        event["request"] = {
            "method": request.get("method"),
            "url": request.get("url"),  # without the query string, by the SDK
            "headers": {
                name: value
                for name, value in headers.items()
                if name.lower() in _KEPT_HEADERS
            },
        }
    user = event.get("user") or {}
    user_id = user.get("id") or request_context.current_user_id.get()
    event["user"] = {"id": str(user_id)} if user_id else {}
    event["tags"] = {**(event.get("tags") or {}), **request_context.current()}
    event["tags"].pop("user_id", None)
    for key in ("extra", "logentry"):
        if key in event:
            event[key] = redact(event[key])
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and "values" in breadcrumbs:
        breadcrumbs["values"] = [
            scrub_breadcrumb(crumb, {}) for crumb in breadcrumbs["values"]
        ]
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return redact(crumb)
