"""`python scripts/screenshot.py PAGE.html OUT.png [--at CSS_SELECTOR]`: one screenshot of a page in headless Chromium.

Used by `make screenshots` for the README's pictures; the browser is driven like the browser test does
(tests/helpers/browser.py), and the command fails if the page asked the network for anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.browser import inspect_page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--at", help="scroll this element to the top first (a CSS selector)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    scroll = f"document.querySelector({json.dumps(args.at)}).scrollIntoView();" if args.at else ""
    report = inspect_page(args.page, f"{scroll} true", args.out, (args.width, args.height))
    if report.outside_requests():
        print(f"{args.page}: requests leaving the machine: {report.outside_requests()}", file=sys.stderr)
        return 1
    print(f"{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
