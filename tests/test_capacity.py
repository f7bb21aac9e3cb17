"""Capacities (dedicated endpoints, GPU clusters): the file, and the allocation of their spend to
usage with idle kept apart, exact to the last digit, through a real store file."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import chat_record, write_jsonl

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
    assert out == f"loaded 2 capacities from {path}\n"
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
