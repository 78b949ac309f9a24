"""The interactive documentation works in a browser under a strict Content Security
Policy (no inline script or style, nothing from another origin), offline."""

import pytest

pytestmark = pytest.mark.browser

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def test_swagger_ui_renders_the_schema_under_a_strict_csp(live, chromium):
    problems, origins = [], set()
    context = chromium.new_context()
    page = context.new_page()

    def with_strict_csp(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.route("**/*", with_strict_csp)
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    page.goto(f"{live}/api/docs/")
    page.get_by_text("/api/v1/progress-updates/{id}/accept/").first.click()
    page.get_by_text("identifies_no_victim").first.wait_for()
    context.close()

    assert problems == []
    assert origins == {live.split("/")[2]}
