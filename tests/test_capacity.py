"""Capacities (dedicated endpoints, GPU clusters): the file, and the allocation of their spend to
usage with idle kept apart, exact to the last digit, through a real store file."""

from __future__ import annotations

import json
import math
import textwrap
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.helpers import chat_record, write_card, write_jsonl

HEADER = "name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"
SEPT = int(datetime(2026, 9, 10, 12, tzinfo=timezone.utc).timestamp())
OCT = int(datetime(2026, 10, 10, 12, tzinfo=timezone.utc).timestamp())
AUG_LAST_SECOND = int(datetime(2026, 8, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp())
SEPT_FIRST_SECOND = int(datetime(2026, 9, 1, tzinfo=timezone.utc).timestamp())


def write_capacity(path: Path, rows: str) -> Path:
    path.write_text(HEADER + textwrap.dedent(rows).strip() + "\n", encoding="utf-8")
    return path


def ingest_tenants(spend, tmp_path: Path, name: str, records: list[dict], mode: str = "dedicated") -> None:
    spend.ok("ingest", write_jsonl(tmp_path / f"{name}.jsonl", records), "--mode", mode)


def tenant_record(request_id: str, tenant: str, *, model: str = "llama-70b", prompt: int = 1000,
                  completion: int = 0, created: int = SEPT, feature: str = "chat") -> dict:
    return chat_record(request_id, created=created, model=model, prompt=prompt, completion=completion,
                       metadata={"tenant": tenant, "feature": feature})


def capacity_costs(spend) -> dict[tuple[str, str], dict]:
    rows = spend.sql("SELECT * FROM capacity_costs ORDER BY month, name")
    return {(r["name"], r["month"]): r for r in rows}


def shares(spend, where: str = "true") -> dict[str, Decimal | None]:
    rows = spend.sql(f"SELECT tenant, sum(cost) AS cost FROM priced_usage WHERE {where} GROUP BY tenant ORDER BY tenant")
    return {r["tenant"]: None if r["cost"] is None else Decimal(r["cost"]) for r in rows}


# --- the file ---------------------------------------------------------------------------------

def test_load_and_list_a_capacity_file(spend, tmp_path):
    path = write_capacity(tmp_path / "cap.csv", """
        ep,dedicated,llama-70b;llama-8b,2026-09,5000,,,,10000000000
        cluster,GPU_CLUSTER,qwen-32b,2026-09,,8,720,2.25,
    """)
    out = spend.ok("capacity", "load", path).stdout
    assert out == f"loaded 2 capacities from {path} (capacity version 1)\n"
    rows = json.loads(spend.ok("capacity", "list", "--format", "json").stdout)
    assert rows == [
        {"name": "cluster", "kind": "gpu_cluster", "models": "qwen-32b", "month": "2026-09", "monthly_cost": None,
         "gpus": 8, "gpu_hours": "720", "gpu_hour_rate": "2.25", "capacity_tokens": None, "spend": "12960"},
        {"name": "ep", "kind": "dedicated", "models": "llama-70b;llama-8b", "month": "2026-09", "monthly_cost": "5000",
         "gpus": None, "gpu_hours": None, "gpu_hour_rate": None, "capacity_tokens": 10000000000, "spend": "5000"},
    ]
    csv_out = spend.ok("capacity", "list", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens,spend"
    assert csv_out[1] == "cluster,gpu_cluster,qwen-32b,2026-09,,8,720,2.25,,12960"
    table = spend.ok("capacity", "list").stdout
    assert "llama-70b;llama-8b" in table and "$12,960.00" in table


@pytest.mark.parametrize("row, reason", [
    ("ep,reserved,m,2026-09,100,,,,", "line 2: kind 'reserved' is not one of dedicated, gpu_cluster"),
    ("ep,dedicated,m,2026-13,100,,,,", "line 2: month '2026-13' is not YYYY-MM"),
    ("ep,dedicated,m,Sept 2026,100,,,,", "line 2: month 'Sept 2026' is not YYYY-MM"),
    ("ep,dedicated,m,2026-09,-100,,,,", "line 2: monthly_cost '-100' must be a number > 0"),
    ("ep,dedicated,m,2026-09,0,,,,", "line 2: monthly_cost '0' must be a number > 0"),
    ("ep,dedicated,m,2026-09,abc,,,,", "line 2: monthly_cost 'abc' is not a number"),
    ("ep,dedicated,m,2026-09,100,,,,0", "line 2: capacity_tokens '0' must be a number > 0"),
    ("ep,dedicated,m,2026-09,100,,,,1.5", "line 2: capacity_tokens '1.5' has more than 0 decimal places"),
    ("ep,dedicated,m,2026-09,,,,,", "line 2: give monthly_cost, or gpus, gpu_hours and gpu_hour_rate"),
    ("ep,dedicated,m,2026-09,100,2,720,2.5,", "line 2: give monthly_cost or gpus, gpu_hours and gpu_hour_rate, not both"),
    ("ep,gpu_cluster,m,2026-09,,2,720,,", "line 2: gpus, gpu_hours and gpu_hour_rate go together: gpu_hour_rate missing"),
    ("ep,gpu_cluster,m,2026-09,,,720,2,", "line 2: gpus, gpu_hours and gpu_hour_rate go together: gpus missing"),
    ("ep,gpu_cluster,m,2026-09,,2,-1,2,", "line 2: gpu_hours '-1' must be a number > 0"),
    ("ep,gpu_cluster,m,2026-09,,2,800,2,", "line 2: gpu_hours '800' is above 744"),
    ("ep,gpu_cluster,m,2026-09,,0,720,2,", "line 2: gpus '0' must be a number > 0"),
    ("ep,dedicated,,2026-09,100,,,,", "line 2: models must be model names separated by ';' (none may be empty)"),
    ("ep,dedicated,a;;b,2026-09,100,,,,", "line 2: models must be model names separated by ';' (none may be empty)"),
    (",dedicated,m,2026-09,100,,,,", "line 2: name is empty"),
    ("ep,dedicated,m,2026-09", "line 2: expected at least 9 columns, found 4"),
])
def test_a_bad_row_refuses_the_whole_file_and_keeps_the_previous_capacities(spend, tmp_path, row, reason):
    spend.ok("capacity", "load", write_capacity(tmp_path / "good.csv", "old,dedicated,m,2026-08,100,,,,"))
    bad = write_capacity(tmp_path / "bad.csv", "fine,dedicated,x,2026-09,100,,,,\n" + row)
    result = spend("capacity", "load", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: capacity file {bad} {reason.replace('line 2', 'line 3')}; no capacities changed\n"
    assert [r["name"] for r in json.loads(spend.ok("capacity", "list", "--format", "json").stdout)] == ["old"]


@pytest.mark.parametrize("rows, reason", [
    ("a,dedicated,m;n,2026-09,100,,,,\nb,dedicated,x;n,2026-09,100,,,,",
     "line 3: model 'n' is on capacity 'a' (line 2) and 'b' in 2026-09"),
    ("a,dedicated,m,2026-09,100,,,,\na,dedicated,x,2026-09,100,,,,",
     "line 3: capacity 'a' is listed for 2026-09 on line 2 too"),
    ("a,dedicated,m,2026-09,100,,,,\na,gpu_cluster,m,2026-10,,1,10,1,",
     "line 3: capacity 'a' is gpu_cluster here and dedicated on line 2"),
])
def test_rows_that_contradict_each_other_are_refused(spend, tmp_path, rows, reason):
    bad = write_capacity(tmp_path / "bad.csv", rows)
    result = spend("capacity", "load", bad)
    assert result.exit_code == 2
    assert result.stderr == f"error: capacity file {bad} {reason}; no capacities changed\n"
    assert not Path(spend.db).exists()  # refused before the store was even opened


def test_one_model_on_two_capacities_in_different_months_is_fine(spend, tmp_path):
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", """
        a,dedicated,m,2026-09,100,,,,
        b,dedicated,m,2026-10,100,,,,
    """))
    assert len(spend.sql("SELECT * FROM capacities")) == 2


def test_bad_header_and_missing_file(spend, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,models\nep,dedicated,m\n", encoding="utf-8")
    result = spend("capacity", "load", bad)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: capacity file {bad} line 1: header must start with name,kind,models,month,")
    missing = spend("capacity", "load", tmp_path / "nope.csv")
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "nope.csv" in missing.stderr


# --- which usage is capacity usage: [modes] at ingest -------------------------------------------

def test_modes_config_sets_the_stored_mode_at_ingest_and_the_flag_wins(spend, tmp_path):
    config = tmp_path / "spend.toml"
    config.write_text('[modes]\ndedicated = ["llama-3-70b", "llama-*"]\ngpu_cluster = ["llama-3-*"]\n')
    logs = write_jsonl(tmp_path / "a.jsonl", [
        tenant_record("r1", "a", model="llama-3-70b"),   # exact name beats both patterns
        tenant_record("r2", "a", model="llama-3-8b"),    # the longer pattern beats llama-*
        tenant_record("r3", "a", model="llama-2"),       # only llama-* matches
        tenant_record("r4", "a", model="gpt-4o"),        # not listed: the reader's mode
    ])
    spend.ok("ingest", logs, config=config)
    stored = {r["request_id"]: r["mode"] for r in spend.sql("SELECT request_id, mode FROM usage")}
    assert stored == {"r1": "dedicated", "r2": "gpu_cluster", "r3": "dedicated", "r4": "serverless"}

    # --reread with the config applies it to rows stored before it existed; --mode wins over it
    other = tmp_path / "b.jsonl"
    write_jsonl(other, [tenant_record("s1", "a", model="llama-3-70b"), tenant_record("s2", "a", model="gpt-4o")])
    spend.ok("ingest", other)
    assert {r["mode"] for r in spend.sql("SELECT mode FROM usage WHERE request_id LIKE 's%'")} == {"serverless"}
    spend.ok("ingest", "--reread", other, config=config)
    stored = {r["request_id"]: r["mode"] for r in spend.sql("SELECT request_id, mode FROM usage WHERE request_id LIKE 's%'")}
    assert stored == {"s1": "dedicated", "s2": "serverless"}
    spend.ok("ingest", "--reread", "--mode", "batch", other, config=config)
    stored = {r["request_id"]: r["mode"] for r in spend.sql("SELECT request_id, mode FROM usage WHERE request_id LIKE 's%'")}
    assert stored == {"s1": "batch", "s2": "batch"}


# --- allocation: priced_usage.cost of capacity rows is their share ------------------------------

UNIT = Decimal("0.000000000000000001")  # 10^-18 USD: the allocation's unit


def floor_units(amount: Fraction) -> Decimal:
    """An exact amount floored to 10^-18 USD, as a Decimal."""
    return Decimal(math.floor(amount * 10**18)) * UNIT


def test_three_tenants_share_a_dedicated_endpoint_and_idle_is_its_own_line(spend, tmp_path):
    # 1,000 USD a month for at most 7M tokens; 6M served: every token costs 1000/7M, 1M tokens idle.
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "ep,dedicated,llama-70b,2026-09,1000,,,,7000000"))
    ingest_tenants(spend, tmp_path, "sept", [
        tenant_record("r1", "a", prompt=600_000, completion=400_000),       # 1M tokens
        tenant_record("r2", "b", prompt=1_500_000, completion=500_000),     # 2M
        tenant_record("r3", "c", prompt=2_000_000, completion=1_000_000),   # 3M
    ])
    floors = {t: floor_units(Fraction(1000 * n, 7_000_000)) for t, n in (("a", 1_000_000), ("b", 2_000_000),
                                                                         ("c", 3_000_000))}
    idle = floor_units(Fraction(1000 * 1_000_000, 7_000_000))
    remainder = Decimal(1000) - sum(floors.values()) - idle
    assert remainder == 3 * UNIT  # each floor drops under one unit: 3 units are left over
    got = shares(spend)
    # the remainder goes to the row with the largest share (c's)
    assert got == {"a": floors["a"], "b": floors["b"], "c": floors["c"] + remainder}
    assert got["a"] == Decimal("142.857142857142857142") and got["c"] == Decimal("428.571428571428571431")
    row = capacity_costs(spend)[("ep", "2026-09")]
    assert Decimal(row["idle_cost"]) == idle == Decimal("142.857142857142857142")
    assert sum(got.values()) + Decimal(row["idle_cost"]) == Decimal(row["spend"]) == Decimal(1000)
    assert row["tokens"] == 6_000_000
    assert Decimal(row["utilisation"]) == Decimal("0.857142857142857143")  # 6/7, half up at 18 places
    assert Decimal(row["effective_per_mtok"]) == Decimal("166.666666666666666667")  # 1000 / 6
    parts = spend.sql("SELECT DISTINCT priced, input_cost, output_cost, rate_card_line, unpriced_reason FROM priced_usage")
    assert parts == [{"priced": True, "input_cost": None, "output_cost": None, "rate_card_line": None,
                      "unpriced_reason": None}]


def test_a_gpu_cluster_from_gpu_hours_without_capacity_tokens_is_all_shared(spend, tmp_path):
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "cluster,gpu_cluster,qwen-32b,2026-09,,8,720,2.25,"))
    ingest_tenants(spend, tmp_path, "sept", [
        tenant_record("g1", "a", model="qwen-32b", prompt=1_000_000),
        tenant_record("g2", "b", model="qwen-32b", prompt=2_000_000, completion=1_000_000),
    ], mode="gpu_cluster")
    got = shares(spend)
    assert got == {"a": Decimal("3240"), "b": Decimal("9720")}  # 8 x 720 x 2.25 = 12,960 by 1:3
    row = capacity_costs(spend)[("cluster", "2026-09")]
    assert Decimal(row["spend"]) == Decimal(12960) == sum(got.values())
    assert Decimal(row["idle_cost"]) == 0 and row["utilisation"] is None
    assert Decimal(row["effective_per_mtok"]) == Decimal(3240)  # 12,960 / 4M tokens x 1M


def test_a_capacity_with_no_usage_is_all_idle(spend, tmp_path):
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", """
        ep,dedicated,llama-70b,2026-09,1000,,,,7000000
        ep,dedicated,llama-70b,2026-10,1234.56,,,,
    """))
    ingest_tenants(spend, tmp_path, "sept", [tenant_record("r1", "a")])
    row = capacity_costs(spend)[("ep", "2026-10")]
    assert Decimal(row["idle_cost"]) == Decimal(row["spend"]) == Decimal("1234.56")
    assert row["tokens"] == 0 and row["effective_per_mtok"] is None and row["utilisation"] is None
    assert Decimal(row["allocated_cost"]) == 0


def test_capacity_usage_without_a_capacity_is_unpriced_never_zero(spend, tmp_path):
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "ep,dedicated,llama-70b,2026-09,1000,,,,"))
    ingest_tenants(spend, tmp_path, "edge", [
        tenant_record("aug", "a", created=AUG_LAST_SECOND),                     # the month before
        tenant_record("sep", "a", created=SEPT_FIRST_SECOND),                   # its first second
        tenant_record("other", "b", model="llama-8b"),                          # a model it does not serve
    ])
    ingest_tenants(spend, tmp_path, "gpu", [tenant_record("gpu", "c")], mode="gpu_cluster")  # another kind
    rows = {r["request_id"]: r for r in spend.sql("SELECT request_id, cost, priced, unpriced_reason FROM priced_usage")}
    assert Decimal(rows["sep"]["cost"]) == Decimal(1000) and rows["sep"]["priced"]
    for request_id, mode in (("aug", "dedicated"), ("other", "dedicated"), ("gpu", "gpu_cluster")):
        assert rows[request_id]["cost"] is None and not rows[request_id]["priced"]
        assert rows[request_id]["unpriced_reason"] == f"no capacity: no {mode} capacity or rate for this model in this month"
    out = spend.ok("rates", "unpriced", "--format", "json").stdout
    reasons = {(r["model"], r["mode"]): r["reason"] for r in json.loads(out)}
    assert reasons[("llama-8b", "dedicated")].startswith("no capacity")
    assert reasons[("llama-70b", "gpu_cluster")].startswith("no capacity")
    # until a capacity applies, a card row of the request's own mode prices it
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "llama-8b,dedicated,1,2,,,,,USD"))
    row = spend.sql("SELECT cost, priced FROM priced_usage WHERE request_id = 'other'")[0]
    assert row["priced"] and Decimal(row["cost"]) == Decimal("0.001")  # 1,000 input tokens at $1 per 1M


def test_uneven_remainder_over_three_equal_tenants_goes_to_one_row_and_the_sum_is_exact(spend, tmp_path):
    # $1,000 over three equal tenants: 333.333333333333333333 each, 1 unit (10^-18 USD) left over.
    # Equal shares: the tie goes to the greatest request_id (then source_file, source_line).
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "ep,dedicated,llama-70b,2026-09,1000,,,,"))
    ingest_tenants(spend, tmp_path, "sept", [
        tenant_record("req-b", "beta"), tenant_record("req-c", "gamma"), tenant_record("req-a", "alpha"),
    ])
    got = shares(spend)
    third = Decimal("333.333333333333333333")
    assert got == {"alpha": third, "beta": third, "gamma": third + UNIT}
    assert sum(got.values()) == Decimal(1000)
    terms = spend.sql("SELECT remainder_row, CAST(remainder_units AS VARCHAR) AS units FROM capacity_terms")[0]
    assert terms["remainder_row"]["request_id"] == "req-c" and terms["units"] == "1"
