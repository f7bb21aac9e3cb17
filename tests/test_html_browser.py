"""The HTML report opened in a real headless browser (Debian's chromium-headless-shell)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def browser() -> str:
    for name in ("chromium-headless-shell", "chromium", "/usr/lib/chromium/chromium-headless-shell"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium: `make test` installs Debian's chromium-headless-shell")


def run_browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser(), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_sample_report_renders_in_a_browser(spend, tmp_path):
    spend.ok("rates", "load", REPO / "sample_logs" / "rates.csv")
    spend.ok("ingest", REPO / "sample_logs" / "exports")
    page = tmp_path / "spend.html"
    spend.ok("report", "--by", "tenant,feature,model", "--format", "html", "-o", page)

    dom = run_browser(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    # What the browser parsed, not what we wrote: the cards, the tables and the escaped tenant.
    assert dom.stdout.count("<table>") == 6  # period, tenant, feature, model, unpriced, detail
    assert "$118.07" in dom.stdout  # priced spend of the sample (exact: 118.066425144)
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1" in dom.stdout
    assert "=cmd|calc" in dom.stdout and "<script" not in dom.stdout

    shot = tmp_path / "spend.png"
    result = run_browser(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0, result.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a rendered page, not a blank one
