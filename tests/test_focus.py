"""FOCUS v1.2 export: every Mandatory column with its format, and BilledCost adding up exactly."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import duckdb
import pytest

from tests.helpers import FORMATS, REPO, chat_record, write_card, write_jsonl

SPEC = [line.split("|") for line in (FORMATS / "focus_v1_2_columns.psv").read_text().splitlines() if line]
MANDATORY = {name: (kind, nullable == "True") for name, level, kind, nullable, *_ in SPEC if level == "Mandatory"}
KNOWN = {name for name, *_ in SPEC}
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture
def sample(spend):
    spend.ok("rates", "load", REPO / "sample_logs" / "rates.csv")
    spend.ok("ingest", REPO / "sample_logs" / "exports")
    return spend


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_mandatory_column_and_format(sample):
    result = sample.ok("report", "--format", "focus", "--month", "2026-09")
    rows = rows_of(result.stdout)
    assert rows
    header = list(rows[0])
    assert set(MANDATORY) <= set(header)
    assert all(c in KNOWN or c.startswith("x_") for c in header)  # custom columns are x_
    for row in rows:
        for name, (kind, nullable) in MANDATORY.items():
            value = row[name]
            if not value:
                assert nullable, (name, row)
            elif kind == "Decimal":
                assert DECIMAL.fullmatch(value), (name, value)  # plain numbers: no $, no exponent
            elif kind == "Date/Time":
                assert DATETIME.fullmatch(value), (name, value)
        assert row["BillingCurrency"] == "USD"
        assert row["ChargePeriodStart"][:7] == "2026-09" and row["BillingPeriodStart"] == "2026-09-01T00:00:00Z"
        assert row["BillingPeriodEnd"] == "2026-10-01T00:00:00Z"
        start, end = row["ChargePeriodStart"], row["ChargePeriodEnd"]
        assert start.endswith("T00:00:00Z") and end > start  # a day, end exclusive
        tags = json.loads(row["Tags"])
        assert isinstance(tags, dict) and set(tags) <= {"tenant", "feature", "environment", "project"}
        assert all(isinstance(v, str) for v in tags.values())  # flat
        assert row["BilledCost"] == row["EffectiveCost"] == row["ListCost"] == row["ContractedCost"]
    assert rows[0]["ChargePeriodStart"] == "2026-09-01T00:00:00Z" and rows[0]["ChargePeriodEnd"] == "2026-09-02T00:00:00Z"
    # One row per day x model x tenant x mode (x feature, environment, project, provider).
    keys = [(r["ChargePeriodStart"], r["x_Model"], r["SubAccountId"], r["x_Mode"], r["Tags"], r["ProviderName"]) for r in rows]
    assert len(keys) == len(set(keys))
    # Unpriced usage is left out (never a zero cost), and counted on stderr.
    assert "northwind-labs/support-router-ft-v2" not in {r["x_Model"] for r in rows}
    assert "264 requests" in result.stderr and "left out of the FOCUS export" in result.stderr


def test_billed_cost_sums_to_the_priced_spend_exactly(sample, tmp_path):
    spend = Decimal(sample.sql("SELECT sum(cost) AS c FROM priced_usage")[0]["c"])
    assert spend == Decimal("118.066425144")
    rows = rows_of(sample.ok("report", "--format", "focus").stdout)
    assert sum(Decimal(r["BilledCost"]) for r in rows) == spend
    assert sum(int(r["x_Requests"]) for r in rows) == 39_506 - 859
    target = tmp_path / "focus.parquet"
    sample.ok("report", "--format", "focus", "-o", target)
    con = duckdb.connect()
    total, kind, count = con.execute(
        "SELECT sum(BilledCost), any_value(typeof(BilledCost)), count(*) FROM read_parquet($p)", {"p": str(target)}).fetchone()
    assert (total, kind, count) == (spend, "DECIMAL(38,18)", len(rows))
    per_tenant = rows_of(sample.ok("report", "--format", "focus", "--tenant", "globex").stdout)
    assert {r["SubAccountId"] for r in per_tenant} == {"globex"}


def test_idle_capacity_is_its_own_row(spend, tmp_path, db):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1000,0,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "l.jsonl", [chat_record("a", created=1788264000, prompt=1000,
                                                                      completion=0, metadata={"tenant": "acme"})]))
    # A capacity month with no usage: all idle (the capacity_costs columns of the product contract;
    # replaced here so the test does not depend on how capacities are loaded).
    with duckdb.connect(str(db)) as con:
        con.execute("""CREATE OR REPLACE VIEW capacity_costs AS SELECT 'endpoint-a' AS name, 'dedicated' AS kind,
                       '2026-09' AS month, CAST(100 AS DECIMAL(38, 18)) AS spend, CAST(0 AS BIGINT) AS tokens,
                       CAST(NULL AS DECIMAL(38, 18)) AS effective_per_mtok, CAST(0 AS DECIMAL(38, 18)) AS utilisation,
                       CAST(100 AS DECIMAL(38, 18)) AS idle_cost""")
    rows = rows_of(spend.ok("report", "--format", "focus").stdout)
    idle = [r for r in rows if r["CapacityReservationStatus"] == "Unused"]
    assert [(r["BilledCost"], r["ChargePeriodStart"], r["ChargePeriodEnd"], r["CapacityReservationId"], r["Tags"])
            for r in idle] == [("100", "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z", "endpoint-a",
                                '{"tenant":"(idle capacity)"}')]
    assert sum(Decimal(r["BilledCost"]) for r in rows) == Decimal("101")  # $1 of usage + $100 idle
    tenant_rows = rows_of(spend.ok("report", "--format", "focus", "--tenant", "acme").stdout)
    assert [r["BilledCost"] for r in tenant_rows] == ["1"]  # idle belongs to no tenant
    html = spend.ok("report", "--format", "html").stdout.replace("<wbr>", "")
    assert 'id="capacity"' in html and "endpoint-a" in html
