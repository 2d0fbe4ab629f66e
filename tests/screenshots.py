"""Screenshots of the main pages with headless Chromium, for the README and review.

    python tests/screenshots.py --base http://127.0.0.1:8000 --user sales --password ... --out docs/img

Not a test: it only writes PNG files to look at.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="sales")
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--pages", nargs="*", default=["/", "/dashboards/stocktoday/"])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{args.base}/accounts/login/")
        page.screenshot(path=str(out / "login.png"))
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        for path in args.pages:
            page.goto(f"{args.base}{path}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            name = path.strip("/").replace("/", "-") or "gallery"
            page.screenshot(path=str(out / f"{name}.png"))
            print(out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
