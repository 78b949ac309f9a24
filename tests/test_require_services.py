"""Under PORTAL_REQUIRE_SERVICES (CI) no test is skipped unseen: every skip fails."""

import shutil
from types import SimpleNamespace

import pytest

from tests import celery_support, environment

pytest_plugins = ["pytester"]

# Run inside this process with tests/environment.py's two hooks alone: its other
# hooks would demand every service of the machine running the test.
HOOKS = SimpleNamespace(
    pytest_runtest_makereport=environment.pytest_runtest_makereport,
    pytest_make_collect_report=environment.pytest_make_collect_report,
)
TESTS = """
import pytest

def test_skipped_by_a_helper():
    pytest.skip("redis-server is not installed")

@pytest.mark.skip(reason="skipped by a marker")
def test_skipped_by_a_marker():
    pass

@pytest.fixture
def service():
    pytest.skip("skipped by a fixture")

def test_skipped_by_a_fixture(service):
    pass

@pytest.mark.xfail(reason="a known failure, not a skip")
def test_expected_to_fail():
    assert False

def test_passes():
    pass
"""
SKIPPED_MODULE = """
import pytest

pytest.skip("a module skipped whole", allow_module_level=True)

def test_never_collected():
    pass
"""


def run(pytester, source: str):
    path = pytester.makepyfile(source)
    return pytester.runpytest_inprocess(
        path, "-p", "no:django", "-p", "no:cacheprovider", "-rA", plugins=[HOOKS]
    )


def test_every_skip_fails_when_services_are_required(pytester, monkeypatch):
    monkeypatch.setattr(environment, "REQUIRE_SERVICES", True)
    result = run(pytester, TESTS)
    # A skip while the test runs fails it; one in its setup is an error.
    result.assert_outcomes(passed=1, failed=1, errors=2, xfailed=1)
    result.stdout.fnmatch_lines_random(
        [
            "*PORTAL_REQUIRE_SERVICES is set, so a skip fails: "
            "redis-server is not installed*",
            "*PORTAL_REQUIRE_SERVICES is set, so a skip fails: skipped by a marker*",
            "*PORTAL_REQUIRE_SERVICES is set, so a skip fails: skipped by a fixture*",
        ]
    )


def test_a_module_skipped_whole_fails_when_services_are_required(pytester, monkeypatch):
    monkeypatch.setattr(environment, "REQUIRE_SERVICES", True)
    result = run(pytester, SKIPPED_MODULE)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*PORTAL_REQUIRE_SERVICES is set, so a skip fails: a module skipped whole*"]
    )


def test_skips_stay_skips_otherwise(pytester, monkeypatch):
    monkeypatch.setattr(environment, "REQUIRE_SERVICES", False)
    result = run(pytester, TESTS)
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    result = run(pytester, SKIPPED_MODULE)
    result.assert_outcomes(skipped=1)


def test_a_listed_reason_may_stay_a_skip(pytester, monkeypatch):
    monkeypatch.setattr(environment, "REQUIRE_SERVICES", True)
    monkeypatch.setattr(
        environment, "SKIPS_ALLOWED_WHEN_REQUIRED", ("skipped by a marker",)
    )
    result = run(pytester, TESTS)
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)


@pytest.mark.parametrize(
    ("required", "outcome"),
    [(True, pytest.fail.Exception), (False, pytest.skip.Exception)],
)
def test_the_throwaway_redis_needs_its_program(monkeypatch, required, outcome):
    monkeypatch.setattr(environment, "REQUIRE_SERVICES", required)
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(outcome, match="redis-server is not installed"):
        celery_support.redis_server_program()
