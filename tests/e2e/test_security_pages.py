"""In the browser, under the strict CSP: the admin's pages (the audit trail among
them), and turning two-factor sign-in on and signing in with a code.

A CSP violation or JavaScript error on any page fails the test (see conftest.py).
"""

from __future__ import annotations

import re

from auditlog.models import LogEntry
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import SecurityEvent
from recommendations.models import MemberState
from tests.factories import PASSWORD, totp_next_code

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def no_accessibility_violations(page) -> None:
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": TAGS},
            "resultTypes": ["violations"],
        },
    )
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def test_the_admin_pages_work_under_the_csp(
    page, sign_in, secretariat_admin, focal_mex
):
    sign_in(page, secretariat_admin)
    mexico = MemberState.objects.get(iso3="MEX")
    SecurityEvent.objects.create(kind="sign_in_failed", username="someone")
    paths = [
        "/en/admin/",
        "/en/admin/portal/user/",
        f"/en/admin/portal/user/{focal_mex.pk}/change/",  # two-box group selector
        "/en/admin/recommendations/memberstate/",
        f"/en/admin/recommendations/memberstate/{mexico.pk}/change/",
        f"/en/admin/recommendations/memberstate/{mexico.pk}/permissions/",
        "/en/admin/recommendations/recommendation/5/change/",
        "/en/admin/auditlog/logentry/",
        "/en/admin/portal/securityevent/",
        "/en/admin/portal/securitypolicy/1/change/",
        "/en/admin/axes/accessattempt/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        # Let the admin's scripts run (selectors, date hierarchy, sidebar filter).
        page.wait_for_load_state("networkidle")
    # An entry of the trail: shown, not editable.
    entry = LogEntry.objects.latest("pk")
    assert page.goto(f"/en/admin/auditlog/logentry/{entry.pk}/change/").status == 200
    expect(page.get_by_role("heading", name="View log entry")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)


def code_from(secret: str) -> str:
    import base64
    import time

    secret = secret.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_a_focal_point_turns_two_factor_on_and_signs_in_with_a_code(
    open_page, sign_in, focal_mex
):
    page = open_page()
    sign_in(page, focal_mex)
    page.get_by_role("link", name="Account security").click()
    page.get_by_role("link", name="Set up two-factor sign-in").click()

    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    no_accessibility_violations(page)
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code from the app").fill(code_from(secret))
    page.get_by_role("button", name="Turn two-factor sign-in on").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them").click()
    page.get_by_role("button", name="Sign out (maria)").click()

    # Signing in now takes the password, then a code.
    later = open_page()
    later.goto("/en/accounts/login/")
    later.get_by_label("Username").fill("maria")
    later.get_by_label("Password").fill(PASSWORD)
    later.get_by_role("button", name="Sign in").click()
    expect(later.get_by_role("heading", name="Sign in: code")).to_be_visible()
    no_accessibility_violations(later)
    device = TOTPDevice.objects.get(user=focal_mex, confirmed=True)
    later.get_by_label("Code").fill(totp_next_code(device))
    later.get_by_role("button", name="Sign in").click()
    expect(later.get_by_role("button", name="Sign out (maria)")).to_be_visible()
