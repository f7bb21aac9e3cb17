"""Write the expected result of every reader case in tests/fixtures/formats/ and show what changed.

    python scripts/regen_expected.py            # (re)write every <fixture>.expected.json, print a diff
    python scripts/regen_expected.py --check    # write nothing; exit 1 if any expected file differs

Each fixture is ingested alone into a fresh store priced by tests/fixtures/formats_card.csv (see
tests/format_cases.py); the expected file holds the detected format, the stored rows, the rejects
and the exact total cost. Review the diff before committing it: it is the change in behaviour.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file differs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="llm-spend-regen-") as home:
        os.environ.update(TZ="UTC", HOME=home)  # as the tests run: no user config, UTC
        for name in ("LLM_SPEND_DB", "LLM_SPEND_CONFIG"):
            os.environ.pop(name, None)
        os.chdir(home)
        sys.path.insert(0, str(REPO))
        from tests.format_cases import case_files, expected_path, render, run_case

        changed = 0
        for fixture in case_files():
            target = expected_path(fixture)
            new = render(run_case(fixture))
            old = target.read_text(encoding="utf-8") if target.exists() else ""
            if new == old:
                continue
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"a/{target.relative_to(REPO)}", tofile=f"b/{target.relative_to(REPO)}"))
            if not args.check:
                target.write_text(new, encoding="utf-8")
        verb = "differ" if args.check else "written"
        print(f"{changed} expected file(s) {verb}, {len(case_files())} cases", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
