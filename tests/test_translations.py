"""The interface in the four OAS languages: catalogues complete, current, compiled."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages import mofile, pofile

from tests.environment import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ["es", "fr", "pt"]
DOMAINS = ["django", "djangojs"]
SOURCES = [
    "accounts",
    "core",
    "portal",
    "recommendations",
    "reporting",
    "templates",
    "static",
    "manage.py",
]


def catalogue(language: str, domain: str):
    path = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return pofile.read_po(handle)


def key(message) -> tuple:
    # Babel gives plural ids and strings as lists in .mo files, tuples in .po files.
    ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
    return (message.context, *ids)


def value(message) -> tuple:
    strings = (
        message.string
        if isinstance(message.string, (list, tuple))
        else [message.string]
    )
    return tuple(strings)


def ids(messages) -> set:
    return {message.id for message in messages if message.id}


# What Django's JavaScript catalogue offers scripts (django.views.i18n).
SCRIPT_GETTEXT = re.compile(
    r"\b(?:gettext|ngettext|pgettext|npgettext|interpolate)\s*\("
)


def script_strings() -> list[str]:
    """The project's scripts (not vendored ones) that call the JavaScript gettext."""
    return sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "static").rglob("*.js")
        if "vendor" not in path.parts and SCRIPT_GETTEXT.search(path.read_text())
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_no_message_is_untranslated_or_fuzzy(language, domain):
    messages = catalogue(language, domain)
    if messages is None:
        # Only the scripts' catalogue may be missing, and only while no script has a
        # string to translate (makemessages checks it in the last test, too).
        assert domain == "djangojs", f"locale/{language} has no {domain}.po"
        assert script_strings() == [], (
            f"scripts call gettext but locale/{language} has no djangojs.po"
        )
        return
    missing = [
        message.id
        for message in messages
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if message.pluralizable else message.string)
        )
    ]
    assert missing == [], (
        f"{language}: {len(missing)} untranslated or fuzzy: {missing[:10]}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogues_are_up_to_date(language, domain):
    messages = catalogue(language, domain)
    path = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.mo"
    if messages is None:
        # No catalogue, so nothing compiled from one: a stray .mo would be served.
        assert domain == "djangojs", f"locale/{language} has no {domain}.po"
        assert not path.exists(), f"{path} has no {domain}.po it was compiled from"
        return
    with path.open("rb") as handle:
        compiled = mofile.read_mo(handle)
    expected = {key(m): value(m) for m in messages if m.id and not m.fuzzy}
    found = {key(m): value(m) for m in compiled if m.id}
    assert found == expected, f"Run: python manage.py compilemessages ({path})"


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is not installed: apt-get install gettext"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "-v", "0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-d",
            "djangojs",
            "-l",
            "es",
            "-v",
            "0",
            "--ignore",
            "static/js/vendor/*",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    for domain in DOMAINS:
        # makemessages writes no file for a domain without strings: none to translate.
        fresh_path = tmp_path / "locale" / "es" / "LC_MESSAGES" / f"{domain}.po"
        fresh = set()
        if fresh_path.exists():
            with fresh_path.open("rb") as handle:
                fresh = ids(pofile.read_po(handle))
        if domain == "django":
            # The run read the code: it found the strings of the interface.
            assert "Member states" in fresh, "makemessages found no Python strings"
        committed = catalogue("es", domain)
        have = ids(committed) if committed is not None else set()
        assert fresh - have == set(), (
            f"{domain}: strings not in the catalogues; run makemessages and translate: "
            f"{sorted(map(str, fresh - have))[:10]}"
        )
