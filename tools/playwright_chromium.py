"""Print the path of the Chromium that ``playwright install chromium`` downloaded.

Where a machine has no Chromium of its own package manager's (a CI runner), the browser tests
use Playwright's: ``WORKBOOK_CHROMIUM="$(python tools/playwright_chromium.py)"``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> int:
    with sync_playwright() as playwright:
        path = Path(playwright.chromium.executable_path)
    if not path.is_file():
        print(
            f"error: Playwright's Chromium is not installed at {path}: run `python -m playwright install chromium`",
            file=sys.stderr,
        )
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
