"""Write the golden report files in tests/golden/ from the sample, and show what changed.

    python scripts/make_goldens.py           # (re)write tests/golden/*, print a diff (`make regen` runs it)
    python scripts/make_goldens.py --check   # write nothing; exit 1 if a golden file differs

Each golden file is the exact output of one `llm-spend report` over the bundled sample
(sample_logs/rates.csv loaded, sample_logs/exports/ ingested into a fresh store, UTC, no config),
run as a real process. tests/test_sample_logs.py compares the command's output with them. The
provenance of a JSON report (`meta`) names the temporary store, the rate card's path in this
checkout and when it was loaded: those three are written as placeholders (`stable`, which the
test applies to the command's output too); the versions, SHA-256 and data range stay. Review
the diff before committing it: it is a change in what users get. CSV and JSON have no room for a
"generated" header, so tests/golden/README.md says this instead.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"

# golden file -> the report arguments that produce it
GOLDENS = {
    "sample_tenant_month.csv": ["report", "--by", "tenant", "--period", "month", "--format", "csv"],
    "sample_model_total.json": ["report", "--by", "model", "--period", "total", "--format", "json"],
}


# meta fields that name this run's temporary store, this checkout's path or the load time
PLACEHOLDERS = {("store",): "<store>", ("rates", "source"): "<rates file>", ("rates", "loaded_at"): "<loaded at>",
                ("capacity", "source"): "<capacity file>", ("capacity", "loaded_at"): "<loaded at>"}


def stable(document: dict) -> dict:
    """A JSON report with the run-specific fields of its `meta` replaced by placeholders."""
    meta = document.get("meta")
    for path, placeholder in PLACEHOLDERS.items():
        holder = meta
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(path[-1]) is not None:
            holder[path[-1]] = placeholder
    return document


def stable_bytes(name: str, data: bytes) -> bytes:
    """A golden file's bytes with stable() applied to a JSON report (rendered as the command does)."""
    if not name.endswith(".json"):
        return data
    sys.path.insert(0, str(REPO))
    from analyzer.render import to_json

    return to_json(stable(json.loads(data))).encode("utf-8")


def produce() -> dict[str, bytes]:
    """Every golden file's bytes, from a fresh store of the sample."""
    with tempfile.TemporaryDirectory(prefix="llm-spend-goldens-") as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_SPEND_")}
        env.update(TZ="UTC", HOME=work, PYTHONPATH=str(REPO))
        db = str(Path(work) / "sample.duckdb")

        def run(*args: str) -> bytes:
            done = subprocess.run([sys.executable, "-m", "analyzer.cli", "--db", db, *args], cwd=work, env=env,
                                  capture_output=True, timeout=600)
            if done.returncode != 0:
                raise SystemExit(f"llm-spend {' '.join(args)}: exit {done.returncode}: {done.stderr.decode()}")
            return done.stdout

        run("rates", "load", str(REPO / "sample_logs" / "rates.csv"))
        run("ingest", "--quiet", str(REPO / "sample_logs" / "exports"))
        return {name: stable_bytes(name, run(*args)) for name, args in GOLDENS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file differs")
    args = parser.parse_args(argv)
    changed = 0
    for name, new in produce().items():
        target = GOLDEN / name
        old = target.read_bytes() if target.exists() else b""
        if new == old:
            continue
        changed += 1
        sys.stdout.writelines(difflib.unified_diff(
            old.decode("utf-8").splitlines(keepends=True), new.decode("utf-8").splitlines(keepends=True),
            fromfile=f"a/tests/golden/{name}", tofile=f"b/tests/golden/{name}"))
        if not args.check:
            target.write_bytes(new)
    verb = "differ" if args.check else "written"
    print(f"{changed} golden file(s) {verb}, {len(GOLDENS)} in all", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
