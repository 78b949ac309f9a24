"""The API's tests: the cast and its updates are in tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _api_settings(api_settings):
    """Every test here runs with the API tests' settings (tests/conftest.py)."""
