"""The benchmark script runs end to end on a small size and writes a complete JSON result.

Not a timing test: no speed threshold here (timings belong in benchmarks/RESULTS.md). It proves
that `benchmarks/run.py` works from a checkout, that every step ran, and that the llm-spend
report and the bare DuckDB report it is compared with agree on what they computed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STEPS = ("startup_python", "startup_cli_help", "llm_spend_ingest", "bare_ingest", "noop", "llm_spend_report",
         "bare_report", "incremental", "increment_alone", "noop_small_store", "tenant_report",
         "tenant_report_capacity")
DERIVED = ("ingest_ratio", "report_ratio", "capacity_report_ratio", "incremental_over_increment_alone",
           "ingest_records_per_second",
           "store_mb_per_million_rows", "pricing_baseline_extrapolated_seconds",
           "speedup_over_pricing_baseline_extrapolated", "pricing_only_speedup_extrapolated")


@pytest.mark.slow
def test_benchmark_runs_and_writes_results(tmp_path: Path) -> None:
    pytest.importorskip("genai_prices")
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "50000", "--repeat", "1",
         "--price-sample", "2000", "--data", str(tmp_path / "data"), "--results", str(tmp_path / "results")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ingest ratio" in done.stdout and "EXTRAPOLATED" in done.stdout

    results = list((tmp_path / "results").glob("*.json"))
    assert len(results) == 1
    document = json.loads(results[0].read_text())
    assert document["repeat"] == 1
    assert document["machine"]["cpus"] >= 1 and document["machine"]["duckdb"]
    [size] = document["sizes"]
    assert size["records"] == 50_000
    data = size["data"]
    assert data["lines"] == 50_000 and data["duplicates"] > 0 and data["bad_lines"] > 0

    for step in STEPS:
        figures = size["steps"][step]
        assert figures["seconds"] > 0 and figures["max_rss_mb"] > 0, step
        assert len(figures["runs"]) == 1, step
    for name in DERIVED:
        assert size["derived"][name] > 0, name
    assert size["pricing_baseline"]["extrapolated"] is True
    assert size["pricing_baseline"]["records_priced"] > 0

    store = size["store"]
    # Duplicates and bad lines are not stored: fewer rows than lines, but nearly all of them.
    assert 0.9 * 50_000 < store["store_rows"] < 50_000
    assert store["store_bytes"] > 0 and store["floor_bytes"] > 0
    ours, bare = store["report"], store["bare_report"]
    assert ours["rows"] == bare["rows"] > 0
    assert ours["requests"] == bare["requests"] == store["store_rows"]
    assert abs(Decimal(ours["cost"]) - Decimal(bare["cost"])) < Decimal("0.0001")
    # The other formats: every line one row on the bare side; duplicates and bad lines not stored.
    for shape in ("batch", "anthropic"):
        figures = size["shapes"][shape]
        assert figures["floor_rows"] == 50_000 and figures["ingest_ratio"] > 0
        assert figures["store_rows"] == 50_000 - figures["data"]["duplicates"] - figures["data"]["bad_lines"]
    assert "batch 50,000: llm-spend ingest" in done.stdout
    # The tenant report with a capacity: every request still there, one idle row a month.
    plain, capacity = store["tenant_report"], store["tenant_report_capacity"]
    assert plain["requests"] == capacity["requests"] == store["store_rows"]
    assert capacity["idle_rows"] == 3 and Decimal(capacity["idle_cost"]) > 0 and "idle_rows" not in plain
    # The generated data is reused, the stores are gone.
    assert not list((tmp_path / "data").glob("stores-*")) and not list((tmp_path / "data").glob("shapes-*"))


def test_generator_is_deterministic_and_writes_a_matching_rate_card(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    first = generate.generate(tmp_path / "a.jsonl", 3000, seed=7)
    again = generate.generate(tmp_path / "b.jsonl", 3000, seed=7, jobs=2)
    other = generate.generate(tmp_path / "c.jsonl", 3000, seed=8)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    assert first.lines == again.lines == other.lines == 3000
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    usable = [r for r in records if isinstance(r, dict) and "usage" in r]
    assert len(lines) - len(usable) == first.bad
    assert len(usable) - len({r["id"] for r in usable}) == first.duplicates
    assert any((r["usage"].get("prompt_tokens_details") or {}).get("cached_tokens") for r in usable)
    assert any((r["usage"].get("completion_tokens_details") or {}).get("reasoning_tokens") for r in usable)
    assert len({r.get("metadata", {}).get("tenant") for r in usable}) > 3

    card = tmp_path / "rates.csv"
    generate.write_rate_card(card)
    rows = card.read_text().splitlines()
    assert rows[0].startswith("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok")
    carded = {row.split(",")[0] for row in rows[1:]}
    models = {r["model"] for r in usable}
    assert len(models - carded) == 1  # one model is unpriced on purpose
