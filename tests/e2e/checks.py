"""What every page a browser test visits must pass: axe-core's WCAG 2.2 AA rules.

    from tests.e2e.checks import assert_clean

    page.goto("/en/workspace/")
    assert_clean(page)  # fails listing each violation: rule, element, what to fix

Axe checks the page as it is now (after any clicks or scripts), so call it again after
a change that shows new content. HTML validity is checked without a call: conftest.py
records every HTML document the test's pages receive and runs the Nu Html Checker on
them (tests/markup.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The portal's commitment (docs and README): WCAG 2.2 level AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page) -> list[dict]:
    """Axe-core's violations on the page's current state, as axe reports them."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    return results.response["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"- {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(selector) for selector in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").strip()
            if summary:
                lines.extend(
                    f"      {line.strip()}"
                    for line in summary.splitlines()
                    if line.strip()
                )
    return "\n".join(lines)


def assert_clean(page: Page) -> None:
    """Fail listing every axe-core violation (rule id, element, help) on the page."""
    __tracebackhide__ = True
    violations = axe_violations(page)
    if violations:
        raise AssertionError(
            f"axe-core finds {len(violations)} kind(s) of WCAG 2.2 AA violation on "
            f"{page.url}:\n{describe(violations)}"
        )
