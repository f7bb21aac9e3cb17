"""Per-tenant statements: one HTML and one CSV per tenant, holding that tenant's figures only."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from analyzer.render import money
from analyzer.statements import safe_names
from tests.helpers import REPO


@pytest.fixture
def sample(spend):
    spend.ok("rates", "load", REPO / "sample_logs" / "rates.csv")
    spend.ok("ingest", REPO / "sample_logs" / "exports")
    return spend


def figures(spend, month: str) -> dict[str, dict]:
    """Each tenant's own figures that month, as a statement of another tenant must never show them."""
    rows = spend.sql(f"""SELECT tenant, sum(cost) AS cost, sum(requests) AS requests,
                                sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
                         FROM priced_usage WHERE strftime(ts, '%Y-%m') = '{month}' AND tenant IS NOT NULL
                         GROUP BY tenant""")
    return {r["tenant"]: r for r in rows}


def shows(text: str, number: str) -> bool:
    """`number` appears on its own (not as part of a longer number)."""
    return re.search(r"(?<![\d.,])" + re.escape(number) + r"(?![\d,]|\.\d)", text) is not None


def test_every_statement_holds_only_its_tenant(sample, tmp_path):
    out = tmp_path / "statements"
    result = sample.ok("report", "--per-tenant", "--month", "2026-10", "-o", out)
    assert "wrote 6 statements (18 files: HTML, CSV, CSV provenance)" in result.stderr
    assert "requests carry no tenant" in result.stderr
    tenants = figures(sample, "2026-10")
    names = safe_names(list(tenants))
    total = sum(Decimal(t["cost"]) for t in tenants.values())
    assert sorted(p.name for p in out.iterdir()) == sorted(f"2026-10_{names[t]}{ext}" for t in tenants
                                                          for ext in (".html", ".csv", ".meta.json"))
    for tenant, own in tenants.items():
        # <wbr> (line-break hints in long names) removed so names are searched as written
        html = (out / f"2026-10_{names[tenant]}.html").read_text(encoding="utf-8").replace("<wbr>", "")
        text = (out / f"2026-10_{names[tenant]}.csv").read_text(encoding="utf-8")
        sidecar = (out / f"2026-10_{names[tenant]}.meta.json").read_text(encoding="utf-8")
        assert f"Statement for {tenant}" in html.replace("&amp;", "&").replace("&#124;", "|")
        assert money(Decimal(own["cost"])) in html
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert {r["tenant"] for r in rows} == {tenant if not tenant.startswith("=") else "'" + tenant}
        assert sum(Decimal(r["cost"]) for r in rows if r["cost"]) == Decimal(own["cost"])  # exact
        for document in (html, text, sidecar):
            for other, theirs in tenants.items():
                if other == tenant:
                    continue
                assert other not in document, (tenant, other)
                for number in (money(Decimal(theirs["cost"])), f"{theirs['requests']:,}",
                               f"{theirs['input_tokens']:,}", f"{theirs['output_tokens']:,}"):
                    assert not shows(document, number), (tenant, other, number)
            assert not shows(document, money(total))  # nor everyone's total


def test_safe_file_names():
    names = safe_names(["acme-corp", "=cmd|calc", "../../etc/passwd", "Acme-Corp", "a b", "a_b", "Zürich"])
    assert names["acme-corp"].startswith("acme-corp-") and names["Acme-Corp"].startswith("Acme-Corp-")
    assert names["a_b"].startswith("a_b-") and names["a b"].startswith("a_b-")  # they would meet
    assert safe_names(["a_b", "globex"]) == {"a_b": "a_b", "globex": "globex"}
    assert names["=cmd|calc"].startswith("cmd_calc-") and names["../../etc/passwd"].startswith("etc_passwd-")
    assert names["Zürich"].startswith("Z_rich-")
    assert len(set(n.casefold() for n in names.values())) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", n) and not n.startswith(".") for n in names.values())


def test_per_tenant_needs_a_folder_and_no_tenant_filter(sample, tmp_path):
    assert sample("report", "--per-tenant").exit_code == 2
    assert sample("report", "--per-tenant", "--tenant", "globex", "-o", tmp_path / "x").exit_code == 2
    (tmp_path / "file").write_text("")
    assert sample("report", "--per-tenant", "-o", tmp_path / "file").exit_code == 2


def test_a_statement_is_the_report_of_its_tenant(sample, tmp_path):
    """Each statement's CSV is byte for byte `report --tenant T` of the same month, though a
    statement reads only its tenant's priced rows (pricedonce.priced_once(con, tenant))."""
    out = tmp_path / "statements"
    sample.ok("report", "--per-tenant", "--month", "2026-10", "-o", out)
    names = safe_names(list(figures(sample, "2026-10")))
    assert len(names) > 3
    for tenant, slug in sorted(names.items())[:3]:  # three of them: each check is a whole report
        alone = tmp_path / f"{slug}.csv"
        sample.ok("report", "--tenant", tenant, "--month", "2026-10", "--format", "csv", "-o", alone)
        assert (out / f"2026-10_{slug}.csv").read_bytes() == alone.read_bytes(), tenant
