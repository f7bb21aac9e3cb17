"""`ruff check` passes on the whole repository (the rules are in pyproject.toml's [tool.ruff]),
so the suite catches what `make lint` would."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_ruff_check_passes():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
