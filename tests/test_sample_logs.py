"""The bundled sample: the demo's numbers, checked against golden files and an independent sum."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from decimal import Decimal

import pytest

from tests.helpers import REPO

GOLDEN = REPO / "tests" / "golden"
# Sum of every priced request of sample_logs/ with sample_logs/rates.csv, computed record by record
# in Python Decimal by the script that generated the logs (independent of the SQL pricing).
SAMPLE_TOTAL = Decimal("118.066425144")
SAMPLE_MONTHS = {"2026-08": Decimal("36.258335688"), "2026-09": Decimal("39.505293744"),
                 "2026-10": Decimal("42.302795712")}


@pytest.fixture
def sample(spend):
    spend.ok("rates", "load", REPO / "sample_logs" / "rates.csv")
    result = spend.ok("ingest", "--json", REPO / "sample_logs" / "exports")
    return spend, json.loads(result.stdout)


def test_ingest_counts_of_the_sample(sample):
    spend, summary = sample
    assert (summary["rows_new"], summary["duplicates"], summary["rejects"]) == (39_506, 20, 7)
    # together.ai's own shape (cached tokens at usage.cached_tokens) is told apart from OpenAI's
    assert [f["format"] for f in summary["files"]] == ["openai-chat", "openai-chat", "together-chat"] * 3
    reasons = {r["reason"]: r["n"] for r in spend.sql("SELECT reason, count(*) AS n FROM rejects GROUP BY ALL")}
    assert reasons == {"not JSON": 3, "no usage": 3, "no timestamp": 1}


def test_sample_totals_match_the_independent_sum(sample):
    spend, _ = sample
    months = spend.sql("SELECT strftime(ts, '%Y-%m') AS month, sum(cost) AS cost FROM priced_usage GROUP BY ALL")
    assert {m["month"]: Decimal(m["cost"]) for m in months} == SAMPLE_MONTHS
    assert sum(SAMPLE_MONTHS.values()) == SAMPLE_TOTAL
    unpriced = spend.sql("SELECT model, sum(requests) AS n FROM priced_usage WHERE NOT priced GROUP BY ALL")
    assert unpriced == [{"model": "northwind-labs/support-router-ft-v2", "n": 859}]


def test_tenant_month_csv_matches_golden(sample):
    spend, _ = sample
    out = spend.ok("report", "--by", "tenant", "--period", "month", "--format", "csv").stdout
    golden = (GOLDEN / "sample_tenant_month.csv").read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert out == golden
    rows = list(csv.DictReader(io.StringIO(golden)))
    assert sum(Decimal(r["cost"]) for r in rows if r["cost"]) == SAMPLE_TOTAL
    assert "'=cmd|calc" in {r["tenant"] for r in rows}


def _goldens():
    spec = importlib.util.spec_from_file_location("make_goldens", REPO / "scripts" / "make_goldens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_total_json_matches_golden(sample):
    spend, _ = sample
    out = json.loads(spend.ok("report", "--by", "model", "--period", "total", "--format", "json").stdout)
    # the provenance names this test's store and the card's path here: placeholders in the golden
    assert out["meta"]["store"] == str(spend.db.resolve())
    assert out["meta"]["rates"]["source"] == str((REPO / "sample_logs" / "rates.csv").resolve())
    assert _goldens().stable(out) == json.loads((GOLDEN / "sample_model_total.json").read_text())


def test_price_change_in_the_sample_card(sample):
    spend, _ = sample
    rows = spend.sql("""
        SELECT request_id, input_tokens, output_tokens, cost FROM priced_usage
        WHERE model = 'meta-llama/Llama-3.3-70B-Instruct-Turbo'
          AND ts IN (TIMESTAMPTZ '2026-09-14 23:59:59+00', TIMESTAMPTZ '2026-09-15 00:00:00+00')
        ORDER BY ts""")
    assert len(rows) == 2
    before, after = rows
    assert Decimal(before["cost"]) == (before["input_tokens"] + before["output_tokens"]) * Decimal("1.10") / 10**6
    assert Decimal(after["cost"]) == (after["input_tokens"] + after["output_tokens"]) * Decimal("0.88") / 10**6


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_sample_generator_reproduces_the_committed_bytes(tmp_path):
    """scripts/make_sample_logs.py (run by `make regen`) writes exactly what sample_logs/ holds."""
    out = tmp_path / "sample"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_logs.py"), "--out", str(out)],
                   check=True, capture_output=True, timeout=600)
    made, committed = _files(out), _files(REPO / "sample_logs")
    assert sorted(made) == sorted(committed)
    assert [name for name in made if made[name] != committed[name]] == [], "run `make regen` and review the diff"


@pytest.mark.slow
def test_golden_generator_reproduces_the_committed_bytes():
    """scripts/make_goldens.py --check: every tests/golden/ report file is what the command writes now."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "make_goldens.py"), "--check"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip() == f"0 golden file(s) differ, {len(list(GOLDEN.glob('sample_*')))} in all"
