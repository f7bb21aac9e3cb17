"""The HTML report and a tenant statement opened in a real headless browser (Debian's
chromium-headless-shell, installed by `make browser`): DOM checks at 1280 px and in the print
layout, screenshots, and a printed A4 landscape PDF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO, chat_record, write_jsonl

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--allow-file-access-from-files"]
HOSTILE_TENANT = "</script><script>alert(1)</script>"
HOSTILE_FEATURE = '<img src=x onerror="parent.pwned=1">'
A4_LANDSCAPE_CSS_PX = 1047  # 297 mm less the 9 mm side margins, at 96 px per inch

# A page that opens the report in a frame of a given width and writes what it measured into
# its own DOM, which --dump-dom prints (the report itself carries no script).
PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:{width}px;height:3000px;border:0"></iframe>
<pre id="result"></pre>
<script>
window.addEventListener("load", () => {{
  const doc = document.getElementById("page").contentDocument;
  const tables = [...doc.querySelectorAll("table")].map(t => ({{
    id: t.id, scroll: t.scrollWidth, room: t.parentElement.clientWidth,
    headers: [...t.querySelectorAll("thead th")].map(th => th.textContent.trim())}}));
  const charts = [...doc.querySelectorAll("figure.chart > svg")].map(s => {{
    const box = s.getBoundingClientRect(); return {{id: s.parentElement.id, width: box.width, height: box.height}}; }});
  document.getElementById("result").textContent = JSON.stringify({{
    tables, charts, pageWidth: doc.documentElement.scrollWidth,
    scripts: doc.querySelectorAll("script").length, images: doc.querySelectorAll("img").length,
    pwned: window.pwned === 1 || doc.defaultView.pwned === 1,
    text: doc.body.innerText}});
}});
</script></body></html>"""


def browser() -> str:
    for name in ("chromium-headless-shell", "chromium", "/usr/lib/chromium/chromium-headless-shell"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium: `make test` installs Debian's chromium-headless-shell")


def run_browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([browser(), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def measure(tmp_path: Path, page: Path, width: int, print_layout: bool = False) -> dict:
    """What the browser laid out for `page` at `width` CSS px (print_layout: with the print
    rules applied on screen, the way the printed page lays out its columns)."""
    if print_layout:
        text = page.read_text(encoding="utf-8").replace("@media print", "@media all")
        page = page.with_name(page.stem + ".print.html")
        page.write_text(text, encoding="utf-8")
    probe = tmp_path / f"probe-{page.stem}-{width}.html"
    probe.write_text(PROBE.format(src=page.as_uri(), width=width), encoding="utf-8")
    dom = run_browser(tmp_path, "--virtual-time-budget=10000", f"--window-size={width + 40},3000",
                      "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), dom[-2000:]
    import html

    return json.loads(html.unescape(found.group(1)))


def assert_laid_out(layout: dict, width: int, charts: int) -> None:
    assert layout["pageWidth"] <= width, layout["pageWidth"]  # no sideways scrolling
    for table in layout["tables"]:
        assert table["scroll"] <= table["room"] + 1, table  # nothing clipped: every column fits
    assert len(layout["charts"]) >= charts
    assert all(c["width"] > 100 and c["height"] > 40 for c in layout["charts"]), layout["charts"]
    assert layout["scripts"] == 0 and layout["images"] == 0 and not layout["pwned"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def pdf_pages(path: Path) -> list[str]:
    """The PDF's pages as text (pdftotext from poppler-utils, installed by `make browser`)."""
    data = path.read_bytes()
    assert data[:5] == b"%PDF-"
    assert re.search(rb"/MediaBox \[0 0 84[12]\.\d+ 59[45]\.\d+\]", data), "not A4 landscape"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture
def sample(spend, tmp_path):
    spend.ok("rates", "load", REPO / "sample_logs" / "rates.csv")
    spend.ok("ingest", REPO / "sample_logs" / "exports")
    # Hostile names, as a tenant and a feature could be named in the logs.
    spend.ok("ingest", write_jsonl(tmp_path / "hostile.jsonl", [
        chat_record("hostile-1", created=1791000000, model="gpt-4o-mini-2024-07-18", prompt=100000, completion=20000,
                    metadata={"tenant": HOSTILE_TENANT, "feature": HOSTILE_FEATURE})]))
    return spend


def test_sample_report_in_a_browser(sample, tmp_path):
    page = tmp_path / "spend.html"
    sample.ok("report", "--by", "tenant,feature,model", "--format", "html", "-o", page)

    layout = measure(tmp_path, page, 1280)
    assert_laid_out(layout, 1280, charts=6)  # over time, top tenants / features / models, mix, split
    assert {t["id"] for t in layout["tables"]} >= {"movers", "cost-split"}
    text = layout["text"]
    assert "$118.09" in text  # the sample's $118.066 plus the hostile record's $0.027
    assert HOSTILE_TENANT in text and HOSTILE_FEATURE in text  # shown as text, never run
    assert "northwind-labs/support-router-ft-v2" in text and "=cmd|calc" in text
    assert_laid_out(measure(tmp_path, page, A4_LANDSCAPE_CSS_PX, print_layout=True), A4_LANDSCAPE_CSS_PX, charts=6)

    shot = tmp_path / "spend.png"
    run_browser(tmp_path, "--window-size=1280,4000", f"--screenshot={shot}", page.as_uri())
    assert png_size(shot) == (1280, 4000) and shot.stat().st_size > 100_000

    pdf = tmp_path / "spend.pdf"
    run_browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    pages = pdf_pages(pdf)
    assert len(pages) <= 8, len(pages)  # it was 29 pages with the cost column clipped
    detail = [p for p in pages if "2026-10" in p and "(" in p and "more)" in p or "Detail by month" in p]
    assert detail
    for text in pages:
        if re.search(r"^\s*2026-\d\d\s+\S+\s+\S+\s+\S+.*\$\d", text, re.M):  # a page holding detail rows
            assert "UNPRICED" in text and "COST" in text  # the header repeats, the last column is there


def test_tenant_statement_in_a_browser(sample, tmp_path):
    out = tmp_path / "statements"
    sample.ok("report", "--per-tenant", "--month", "2026-10", "-o", out)
    page = next(out.glob("2026-10_acme-corp.html"))
    layout = measure(tmp_path, page, 1280)
    assert_laid_out(layout, 1280, charts=5)  # no top-tenants chart in a statement
    assert "Statement for acme-corp" in layout["text"]
    assert "globex" not in layout["text"] and "initech" not in layout["text"]
    hostile = [p for p in out.glob("*.html") if p.name.startswith("2026-10_script_script_alert_1_script")]
    assert len(hostile) == 1
    layout = measure(tmp_path, hostile[0], 1280)
    assert_laid_out(layout, 1280, charts=4)
    assert f"Statement for {HOSTILE_TENANT}" in layout["text"]

    shot = tmp_path / "statement.png"
    run_browser(tmp_path, "--window-size=1280,3000", f"--screenshot={shot}", page.as_uri())
    assert png_size(shot) == (1280, 3000)
    pdf = tmp_path / "statement.pdf"
    run_browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert 1 <= len(pdf_pages(pdf)) <= 6
