"""Schemathesis against the live schema of a live server, as a focal point and as a
reviewer: generated requests, valid and invalid, for every operation.

The run fails on a server error, a response the schema does not describe (status,
content type, headers or body), a request the schema calls invalid that the API
accepts, one it calls valid that the API refuses (400, 422 and the like: statuses
that say "wrong request", not "not found" or "not now"), an operation that ignores
missing credentials, and the other checks listed in CHECKS. ``PORTAL_FUZZ_EXAMPLES``
sets the cases per operation (100 by default, the issue's floor),
``PORTAL_FUZZ_PATHS`` a regex of the paths to fuzz (all by default),
``PORTAL_FUZZ_SEED`` the seed; the run's report is printed when it fails.
"""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.models import ApiToken
from tests import factories

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "100"))
SCHEMATHESIS = Path(sys.executable).with_name("st")
# The operations whose 400 positive_data_acceptance expects, and why.
CONFIG = Path(__file__).with_name("schemathesis.toml")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]


def server_errors(caplog) -> str:
    """The live server's tracebacks (it runs in this process), for the report."""
    formatter = logging.Formatter()
    return "\n".join(
        f"{record.getMessage()}\n{formatter.formatException(record.exc_info)}"
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.exc_info
    )


@pytest.fixture
def queue_without_worker():
    """Report runs go to the test run's own filesystem queue, which no worker reads,
    rather than being compiled in the request as in the other tests: the fuzzer asks
    for many."""
    from portal.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app._pool = None
    yield
    app.conf.task_always_eager = saved
    app._pool = None


@pytest.fixture
def workload(focal_mex, focal_bra, reviewer, mexico, brazil):
    """Updates in every review state, so that generated ids find some."""
    update = factories.progress_update
    update(mexico, 1, author=focal_mex, reviewer=reviewer)
    update(mexico, 2, author=focal_mex, steps=["submit"])
    update(
        mexico,
        3,
        author=focal_mex,
        reviewer=reviewer,
        steps=["submit", "return"],
        comment="Dates?",
    )
    update(mexico, 4, author=focal_mex, steps=[])
    update(brazil, 1, author=focal_bra, steps=[], narrative_visibility="confidential")
    update(brazil, 2, author=focal_bra, reviewer=reviewer)


@pytest.mark.parametrize("role", ["focal_mex", "reviewer"])
def test_schemathesis_finds_nothing_wrong(
    live, request, role, workload, queue_without_worker, tmp_path, caplog
):
    user = request.getfixturevalue(role)
    _token, secret = ApiToken.objects.create(user=user, name="schemathesis")
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live}/api/schema/",
        "--max-examples",
        str(EXAMPLES),
        "--checks",
        ",".join(CHECKS),
        "--header",
        f"Authorization: Token {secret}",
        # One worker: with two threads, Hypothesis's ast.parse of its filters trips
        # CPython 3.11's "AST constructor recursion depth mismatch" now and then.
        "--workers",
        "1",
        "--seed",
        os.environ.get("PORTAL_FUZZ_SEED", "7"),
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    if os.environ.get("PORTAL_FUZZ_PATHS"):  # a regex, to fuzz some paths only
        command += ["--include-path-regex", os.environ["PORTAL_FUZZ_PATHS"]]
    started = time.monotonic()

    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=tmp_path,
    )

    took = time.monotonic() - started
    summary = result.stdout[-20000:]
    assert result.returncode == 0, (
        f"schemathesis as {role} ({took:.0f} s):\n{summary}\n{server_errors(caplog)}"
    )
    print(f"schemathesis as {role}: {took:.0f} s\n{summary[-3000:]}")
