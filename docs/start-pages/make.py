"""Take the pictures of the start pages in this folder, from a running portal with the
demo data (``./bin/run`` seeds it), in Debian's Chromium:

    .venv/bin/python docs/start-pages/make.py [--url http://localhost:8000]

Each demo role signs in through the login form and lands on its start page, shown at
a desktop width (1366 px) and a phone's (390 px). The pictures are reduced to 256
colours, which the portal's flat colours survive, to keep the repository small.
"""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ROLES = {
    "focal-point": "focal-mex",
    "reviewer": "reviewer",
    "secretariat": "secretariat",
}
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
# A phone's page is long: the top of it shows what matters, and keeps the file small.
MAX_HEIGHT = 2400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8000")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    password = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for role, username in ROLES.items():
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale="en"
                )
                page = context.new_page()
                page.goto(f"{args.url}/en/accounts/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/en/start/")
                shot = page.screenshot(
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": MAX_HEIGHT}
                    if page.evaluate("document.body.scrollHeight") > MAX_HEIGHT
                    else None,
                )
                path = args.out / f"{role}-{width_name}.png"
                save_small(shot, path)
                print(f"{path} ({path.stat().st_size // 1024} KB)")
                context.close()
        browser.close()


def save_small(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        path, optimize=True
    )


if __name__ == "__main__":
    main()
