"""Rate and capacity history: every load that changes them is a version (when, file, SHA-256,
rows and the rows themselves); `rates history`, `capacity history`, `rates diff`; old stores
keep what they had as version 1."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from analyzer.store import open_store
from tests.helpers import chat_record, write_card, write_jsonl

CAPACITY_HEADER = "name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"


def history(spend, kind: str = "rates") -> list[dict]:
    return json.loads(spend.ok(kind, "history", "--format", "json").stdout)


def test_each_load_that_changes_the_rates_is_a_version(spend, tmp_path):
    first = write_card(tmp_path / "first.csv", "gpt-4o,,2.50,10.00,1.25,,,,\ngpt-4o-mini,,0.15,0.60,,,,,")
    second = write_card(tmp_path / "second.csv", "gpt-4o,,3.00,10.00,1.25,,,,")
    assert spend.ok("rates", "load", first).stdout == f"loaded 2 rates from {first} (rates version 1)\n"
    # The same file again (a nightly reload): no new version.
    assert spend.ok("rates", "load", first).stdout == f"loaded 2 rates from {first} (unchanged: rates version 1)\n"
    assert spend.ok("rates", "load", second).stdout == f"loaded 1 rates from {second} (rates version 2)\n"
    rows = history(spend)
    assert [(r["version"], r["source"], r["sha256"], r["rows"], r["current"]) for r in rows] == [
        (1, str(first), hashlib.sha256(first.read_bytes()).hexdigest(), 2, False),
        (2, str(second), hashlib.sha256(second.read_bytes()).hexdigest(), 1, True),
    ]
    assert all(r["loaded_at"] and r["closed_months"] is None for r in rows)
    # The rows of each version are kept, exactly.
    kept = spend.sql("SELECT version, model, input_per_mtok FROM rate_version_rows ORDER BY version, model")
    assert kept == [{"version": 1, "model": "gpt-4o", "input_per_mtok": "2.5"},
                    {"version": 1, "model": "gpt-4o-mini", "input_per_mtok": "0.15"},
                    {"version": 2, "model": "gpt-4o", "input_per_mtok": "3"}]
    # Loading version 1's file again makes it version 3 (the history is the order of loads).
    spend.ok("rates", "load", first)
    assert [r["version"] for r in history(spend) if r["current"]] == [3]


def test_a_refused_card_makes_no_version(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "good.csv", "m,,1,1,,,,,"))
    bad = spend("rates", "load", write_card(tmp_path / "bad.csv", "m,,-1,1,,,,,"))
    assert bad.exit_code == 1 and "no rates changed" in bad.stderr
    assert [r["version"] for r in history(spend)] == [1]


def diff(spend, *args: str) -> list[dict]:
    return json.loads(spend.ok("rates", "diff", *args, "--format", "json").stdout)


def test_rates_diff_between_versions_and_against_a_file(spend, tmp_path):
    v1 = write_card(tmp_path / "v1.csv", """
        gpt-4o,,2.50,10.00,1.25,,,,
        gpt-4o-mini,,0.15,0.60,,,,,
        claude,,3.00,15.00,,,2026-01-01,,
    """)
    v2 = write_card(tmp_path / "v2.csv", """
        gpt-4o,,2.50,12.00,,,,,
        gpt-4o,batch,1.25,5.00,,,,,
        claude,,3.00,15.00,,,2026-01-01,,
    """)
    spend.ok("rates", "load", v1)
    spend.ok("rates", "load", v2)
    key = {"provider": None, "service_tier": None, "input_tokens_above": None, "valid_from": None}
    cells = [("gpt-4o", "batch", "added", "input_per_mtok", None, "1.25"),
             ("gpt-4o", "batch", "added", "output_per_mtok", None, "5"),
             ("gpt-4o", "batch", "added", "currency", None, "USD"),
             ("gpt-4o", "serverless", "changed", "output_per_mtok", "10", "12"),
             ("gpt-4o", "serverless", "changed", "cached_input_per_mtok", "1.25", None),
             ("gpt-4o-mini", "serverless", "removed", "input_per_mtok", "0.15", None),
             ("gpt-4o-mini", "serverless", "removed", "output_per_mtok", "0.6", None),
             ("gpt-4o-mini", "serverless", "removed", "currency", "USD", None)]
    expected = [{"model": model, "mode": mode, **key, "change": change, "column": column, "old": old, "new": new}
                for model, mode, change, column, old, new in cells]
    assert diff(spend, "1", "2") == expected
    assert diff(spend, "v1", str(v2)) == expected          # a version against a file
    assert diff(spend, "1") == expected                    # a version against the loaded card
    assert diff(spend, str(v1)) == [                       # a file against the loaded card: what loading it changes
        {**row, "change": {"added": "removed", "removed": "added"}.get(row["change"], row["change"]),
         "old": row["new"], "new": row["old"]} for row in expected]
    assert diff(spend, "2", str(v2)) == []
    assert spend.ok("rates", "diff", "2", str(v2)).stdout == f"no differences: rates version 2 -> {v2}\n"
    csv_out = spend.ok("rates", "diff", "1", "2", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "model,mode,provider,service_tier,input_tokens_above,valid_from,change,column,old,new"
    assert "gpt-4o,serverless,,,,,changed,output_per_mtok,10,12" in csv_out


def test_rates_diff_keys_by_validity_provider_and_tier(spend, tmp_path):
    header = ("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,"
              "valid_from,valid_to,currency,provider,service_tier,input_tokens_above\n")
    a = tmp_path / "a.csv"
    a.write_text(header + "m,,1,2,,,,2026-09-15,USD,,,\nm,,1,2,,,,,USD,openai,flex,\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text(header + "m,,1,2,,,,2026-09-15,USD,,,\nm,,1,2,,,2026-09-15,,USD,,,\n"
                 "m,,1.5,2,,,,,USD,openai,flex,\n", encoding="utf-8")
    spend.ok("rates", "load", a)
    rows = diff(spend, str(b))
    assert [(r["provider"], r["service_tier"], r["valid_from"], r["change"], r["column"], r["old"], r["new"])
            for r in rows] == [
        (None, None, "2026-09-15T00:00:00+00:00", "added", "input_per_mtok", None, "1"),
        (None, None, "2026-09-15T00:00:00+00:00", "added", "output_per_mtok", None, "2"),
        (None, None, "2026-09-15T00:00:00+00:00", "added", "currency", None, "USD"),
        ("openai", "flex", None, "changed", "input_per_mtok", "1", "1.5"),
    ]


def test_rates_diff_bad_arguments(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1,1,,,,,"))
    missing = spend("rates", "diff", "7")
    assert missing.exit_code == 2 and missing.stderr == "error: no rates version 7: see `llm-spend rates history`\n"
    nofile = spend("rates", "diff", "1", str(tmp_path / "nope.csv"))
    assert nofile.exit_code == 1 and nofile.stderr.startswith("error: rate card ") and "Traceback" not in nofile.output


def test_capacity_loads_are_versions_too(spend, tmp_path):
    path = tmp_path / "cap.csv"
    path.write_text(CAPACITY_HEADER + "ep,dedicated,llama,2026-09,5000,,,,\n", encoding="utf-8")
    assert spend.ok("capacity", "load", path).stdout == f"loaded 1 capacities from {path} (capacity version 1)\n"
    path.write_text(CAPACITY_HEADER + "ep,dedicated,llama,2026-09,6000,,,,\nep,dedicated,llama,2026-10,6000,,,,\n",
                    encoding="utf-8")
    spend.ok("capacity", "load", path)
    rows = history(spend, "capacity")
    assert [(r["version"], r["rows"], r["current"], r["sha256"]) for r in rows] == [
        (1, 1, False, rows[0]["sha256"]), (2, 2, True, hashlib.sha256(path.read_bytes()).hexdigest())]
    kept = spend.sql("SELECT version, strftime(month, '%Y-%m') AS month, spend FROM capacity_version_rows ORDER BY ALL")
    assert kept == [{"version": 1, "month": "2026-09", "spend": "5000"}, {"version": 2, "month": "2026-09", "spend": "6000"},
                    {"version": 2, "month": "2026-10", "spend": "6000"}]


def test_an_old_store_keeps_its_rates_and_capacities_as_version_1(db):
    import duckdb

    from analyzer.sqlfiles import migrations

    old = [(name, sql) for name, sql in migrations() if name < "006"]
    assert [name for name, _ in old][-1] == "005_capacity"
    with duckdb.connect(str(db)) as con:  # the store as the version before migration 006 left it
        con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        for name, sql in old:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES ($name, now())", {"name": name})
        con.execute("INSERT INTO rates (model, mode, input_per_mtok, output_per_mtok, currency, card_line) "
                    "VALUES ('m', 'serverless', 0.90, 3.30, 'USD', 2), ('n', 'batch', 1, 2, 'USD', 3)")
        con.execute("INSERT INTO capacities (name, kind, models, month, monthly_cost, spend, file_line) "
                    "VALUES ('ep', 'dedicated', ['m'], DATE '2026-09-01', 5000, 5000, 2)")
        con.execute("""INSERT INTO usage (request_id, ts, model, mode, requests, input_tokens, cached_input_tokens,
                                          cache_write_tokens, output_tokens, reasoning_tokens)
                       VALUES ('r', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'm', 'serverless', 1, 4000, 0, 0, 1000, 0)""")
    with open_store(db) as con:
        rates = con.execute("SELECT version, loaded_at, source, sha256, rows FROM rate_versions").fetchall()
        capacity = con.execute("SELECT version, loaded_at, source, sha256, rows FROM capacity_versions").fetchall()
        kept = con.execute("SELECT version, model, input_per_mtok FROM rate_version_rows ORDER BY model").fetchall()
        cost = con.execute("SELECT sum(cost) FROM priced_usage").fetchall()[0][0]
        closes = con.execute("SELECT count(*) FROM month_closes").fetchall()[0][0]
    assert rates == [(1, None, None, None, 2)] and capacity == [(1, None, None, None, 1)]
    assert kept == [(1, "m", Decimal("0.9")), (1, "n", Decimal("1"))]
    assert cost == Decimal("0.0069") and closes == 0  # 4000 x 0.90 + 1000 x 3.30, per 1M


def test_a_store_without_loads_has_no_version(spend, tmp_path):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("r1")]))
    assert history(spend) == [] and history(spend, "capacity") == []
