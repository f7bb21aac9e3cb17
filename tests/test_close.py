"""Month close: `close` freezes a month, a load that would change it is refused unless
--reprice-closed (and then logged), late arrivals are kept apart, `reopen` prices it again.
Real DuckDB files, the commands as a user types them, exact Decimals."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.helpers import chat_record, write_card, write_jsonl

CAPACITY_HEADER = "name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"


def at(day: str) -> int:
    """A record's `created` time: noon UTC of the day."""
    return int(datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=timezone.utc).timestamp())


def month_costs(spend, view: str = "priced_usage") -> dict[str, Decimal]:
    rows = spend.sql(f"SELECT strftime(ts, '%Y-%m') AS month, sum(cost) AS cost FROM {view} GROUP BY ALL")
    return {r["month"]: Decimal(r["cost"]) for r in rows}


STORED = ("rates", "rate_versions", "rate_version_rows", "capacities", "capacity_versions", "capacity_version_rows",
          "month_closes", "closed_usage", "closed_capacity_costs", "close_log", "settings")


def stored(spend) -> dict[str, list[dict]]:
    """Every row of the tables a load or a close may change (the file's bytes change at any
    write open: the views are recreated)."""
    return {name: spend.sql(f"SELECT * FROM {name} ORDER BY ALL") for name in STORED}


def closed_store(spend, tmp_path):
    """Two September requests and one in October, priced at $2 in / $10 out per 1M tokens (each
    request 1,000 in + 100 out = $0.003), September closed."""
    spend.ok("rates", "load", write_card(tmp_path / "cheap.csv", "m,,2,10,,,,,\nother,,1,1,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "first.jsonl", [
        chat_record("s1", created=at("2026-09-10")), chat_record("s2", created=at("2026-09-20")),
        chat_record("o1", created=at("2026-10-05"))]))
    done = spend.ok("close", "2026-09")
    assert done.stdout == "closed 2026-09: 2 rows, 2 requests, $0.006 (rates version 1; through ingest run 1)\n"
    return write_card(tmp_path / "dear.csv", "m,,4,20,,,,,\nother,,1,1,,,,,")


def test_close_freezes_the_month_with_its_versions_and_totals(spend, tmp_path):
    closed_store(spend, tmp_path)
    [close] = spend.sql("SELECT strftime(month, '%Y-%m') AS month, rates_version, capacity_version, through_run_id, "
                        "rows, requests, priced_requests, unpriced_requests, input_tokens, output_tokens, cost, "
                        "idle_cost FROM month_closes")
    assert close == {"month": "2026-09", "rates_version": 1, "capacity_version": None, "through_run_id": 1,
                     "rows": 2, "requests": 2, "priced_requests": 2, "unpriced_requests": 0,
                     "input_tokens": 2000, "output_tokens": 200, "cost": "0.006", "idle_cost": None}
    frozen = spend.sql("SELECT request_id, cost FROM closed_usage ORDER BY request_id")
    assert [(r["request_id"], Decimal(r["cost"])) for r in frozen] == [("s1", Decimal("0.003")), ("s2", Decimal("0.003"))]
    [entry] = spend.sql("SELECT entry, strftime(month, '%Y-%m') AS month, action, rates_version, cost, detail FROM close_log")
    assert entry == {"entry": 1, "month": "2026-09", "action": "close", "rates_version": 1, "cost": "0.006",
                     "detail": "2 rows, 2 requests, 0 unpriced; through ingest run 1"}
    assert [r["closed_months"] for r in json.loads(spend.ok("rates", "history", "--format", "json").stdout)] == ["2026-09"]


def test_closing_a_closed_month_is_refused(spend, tmp_path):
    closed_store(spend, tmp_path)
    again = spend("close", "2026-09")
    assert again.exit_code == 1
    assert again.stderr == "error: 2026-09 is already closed (llm-spend reopen 2026-09 first); nothing changed\n"
    assert len(spend.sql("SELECT * FROM close_log")) == 1
    bad = spend("close", "2026-13")
    assert bad.exit_code == 2 and bad.stderr == "error: month '2026-13' is not YYYY-MM\n"
    assert spend("reopen", "2026-10").stderr == "error: 2026-10 is not closed; nothing changed\n"


def test_a_dearer_card_is_refused_and_the_store_is_unchanged(spend, tmp_path):
    dear = closed_store(spend, tmp_path)
    before = stored(spend)
    refused = spend("rates", "load", dear)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: rates load {dear} would change the cost of closed months at current rates: 2026-09 $0.006 -> $0.012; "
        "nothing changed (pass --reprice-closed to load it anyway: closed months keep their frozen numbers)\n")
    assert stored(spend) == before
    assert [r["version"] for r in json.loads(spend.ok("rates", "history", "--format", "json").stdout)] == [1]
    assert month_costs(spend) == {"2026-09": Decimal("0.006"), "2026-10": Decimal("0.003")}
    assert len(spend.sql("SELECT * FROM close_log")) == 1


def test_a_dearer_card_with_reprice_closed_loads_and_the_closed_month_stays(spend, tmp_path):
    dear = closed_store(spend, tmp_path)
    done = spend.ok("rates", "load", dear, "--reprice-closed")
    assert done.stdout == (f"loaded 2 rates from {dear} (rates version 2)\n"
                           "closed months keep their frozen numbers: 2026-09 (now $0.012 at current rates); "
                           "see report --reprice\n")
    assert month_costs(spend) == {"2026-09": Decimal("0.006"), "2026-10": Decimal("0.006")}
    assert month_costs(spend, "priced_usage_current") == {"2026-09": Decimal("0.012"), "2026-10": Decimal("0.006")}
    log = spend.sql("SELECT action, rates_version, cost, detail FROM close_log ORDER BY entry")
    assert log[1] == {"action": "reprice-closed", "rates_version": 2, "cost": "0.012",
                      "detail": f"rates load {dear}: $0.006 -> $0.012 at current rates (frozen $0.006 kept)"}
    # The month keeps the version it was closed with.
    assert spend.sql("SELECT rates_version, cost FROM month_closes") == [{"rates_version": 1, "cost": "0.006"}]
    # A later card that changes nothing the closed month uses needs no flag.
    spend.ok("rates", "load", write_card(tmp_path / "other.csv", "m,,4,20,,,,,\nother,,9,9,,,,,"))
    assert month_costs(spend) == {"2026-09": Decimal("0.006"), "2026-10": Decimal("0.006")}


def test_a_card_that_leaves_a_closed_request_unpriced_is_a_change(spend, tmp_path):
    closed_store(spend, tmp_path)
    refused = spend("rates", "load", write_card(tmp_path / "none.csv", "other,,1,1,,,,,"))
    assert refused.exit_code == 1 and "2026-09 $0.006 -> unpriced" in refused.stderr


def test_reopen_prices_the_month_at_current_rates_again_late_arrivals_included(spend, tmp_path):
    dear = closed_store(spend, tmp_path)
    spend.ok("rates", "load", dear, "--reprice-closed")
    spend.ok("ingest", write_jsonl(tmp_path / "late.jsonl", [chat_record("s3", created=at("2026-09-25"))]))
    assert month_costs(spend)["2026-09"] == Decimal("0.006")
    done = spend.ok("reopen", "2026-09")
    assert done.stdout == "reopened 2026-09: frozen $0.006, now $0.018 at current rates (1 late rows included)\n"
    assert month_costs(spend) == {"2026-09": Decimal("0.018"), "2026-10": Decimal("0.006")}
    assert spend.sql("SELECT count(*) AS n FROM closed_usage") == [{"n": 0}]
    log = spend.sql("SELECT action, cost, detail FROM close_log ORDER BY entry")
    assert [r["action"] for r in log] == ["close", "reprice-closed", "reopen"]
    assert log[2] == {"action": "reopen", "cost": "0.006",
                      "detail": "frozen $0.006, at current rates $0.018 (1 late rows included)"}
    # Open again: loads are not refused, and the month can be closed anew at the new numbers.
    spend.ok("rates", "load", write_card(tmp_path / "cheap2.csv", "m,,2,10,,,,,"))
    assert spend.ok("close", "2026-09").stdout.startswith("closed 2026-09: 3 rows, 3 requests, $0.009 (rates version 3;")


def write_capacity(path, rows: str):
    path.write_text(CAPACITY_HEADER + rows + "\n", encoding="utf-8")
    return path


def test_a_capacity_load_after_a_close_is_refused_and_capacity_costs_stay_frozen(spend, tmp_path):
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", "edge,dedicated,llama,2026-09,100,,,,4000"))
    spend.ok("ingest", write_jsonl(tmp_path / "ded.jsonl", [
        chat_record("d1", model="llama", created=at("2026-09-03")),      # 1,100 tokens of 4,000
        chat_record("d2", model="llama", created=at("2026-09-04"))]), "--mode", "dedicated")
    done = spend.ok("close", "2026-09")
    # 2,200 of 4,000 tokens used: $55 shared, $45 idle
    assert done.stdout == ("closed 2026-09: 2 rows, 2 requests, $55 + idle capacity $45 "
                           "(capacity version 1; through ingest run 1)\n")
    dearer = write_capacity(tmp_path / "dear.csv", "edge,dedicated,llama,2026-09,150,,,,4000")
    before = stored(spend)
    refused = spend("capacity", "load", dearer)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: capacity load {dearer} would change the cost of closed months at current rates: 2026-09 $100 -> $150; "
        "nothing changed (pass --reprice-closed to load it anyway: closed months keep their frozen numbers)\n")
    assert stored(spend) == before
    spend.ok("capacity", "load", dearer, "--reprice-closed")
    assert month_costs(spend) == {"2026-09": Decimal("55")}
    assert month_costs(spend, "priced_usage_current") == {"2026-09": Decimal("82.5")}
    costs = json.loads(spend.ok("capacity", "costs", "--month", "2026-09", "--format", "json").stdout)
    assert [(c["spend"], c["idle_cost"], c["allocated_cost"]) for c in costs] == [("100", "45", "55")]
    [log] = spend.sql("SELECT capacity_version, cost FROM close_log WHERE action = 'reprice-closed'")
    assert log == {"capacity_version": 2, "cost": "150"}


# --- late arrivals -----------------------------------------------------------------------------------

def test_a_late_record_is_kept_apart_and_counted_in_status_ingest_and_report(spend, tmp_path):
    closed_store(spend, tmp_path)
    done = spend.ok("ingest", write_jsonl(tmp_path / "late.jsonl", [
        chat_record("s3", created=at("2026-09-25"), prompt=2000), chat_record("o2", created=at("2026-10-06"))]))
    assert done.stdout.splitlines()[-1] == ("late arrivals for closed months, kept out of their totals: "
                                            "2026-09: 1 requests (see status)")
    # stored, but the closed month keeps its frozen total; October (open) has its new record
    assert month_costs(spend) == {"2026-09": Decimal("0.006"), "2026-10": Decimal("0.006")}
    [late] = spend.sql("SELECT request_id, strftime(closed_month, '%Y-%m') AS month, cost FROM late_usage")
    assert late == {"request_id": "s3", "month": "2026-09", "cost": "0.005"}
    status = json.loads(spend.ok("status", "--format", "json").stdout)
    assert status["late_arrivals"] == [{"month": "2026-09", "rows": 1, "requests": 1, "unpriced_requests": 0,
                                        "cost": "0.005", "first_run_id": 2, "last_run_id": 2}]
    assert [c["month"] for c in status["closed_months"]] == ["2026-09"]
    text = spend.ok("status").stdout
    assert "closed: 2026-09: 2 requests, $0.006 frozen (through ingest run 1)\n" in text
    assert "late arrivals: 2026-09: 1 rows, 1 requests, $0.005 at current rates, not in the closed totals\n" in text
    # the month's report: the frozen numbers, the late arrivals apart (table, JSON, HTML)
    report = json.loads(spend.ok("report", "--month", "2026-09", "--by", "model", "--format", "json").stdout)
    assert [(r["requests"], Decimal(r["cost"])) for r in report["rows"]] == [(2, Decimal("0.006"))]
    assert Decimal(report["totals"]["cost"]) == Decimal("0.006")
    assert report["late_arrivals"] == status["late_arrivals"]
    table = spend.ok("report", "--month", "2026-09", "--by", "model").stdout
    assert table.splitlines()[-1] == ("late arrivals for closed months, not in their totals: "
                                      "2026-09: 1 requests, $0.005 at current rates")
    html = spend.ok("report", "--month", "2026-09", "--format", "html").stdout
    section = html.split('<h2 id="late-arrivals">', 1)[1].split("</table>", 1)[0]
    assert "<td>2026-09</td>" in section and "$0.005" in section
    # a report of an open month has none
    october = json.loads(spend.ok("report", "--month", "2026-10", "--format", "json").stdout)
    assert october["late_arrivals"] == []
    assert 'id="late-arrivals"' not in spend.ok("report", "--month", "2026-10", "--format", "html").stdout


# --- report --reprice -----------------------------------------------------------------------------

def test_report_reprice_shows_the_new_numbers_next_to_the_frozen_ones(spend, tmp_path):
    dear = closed_store(spend, tmp_path)
    spend.ok("rates", "load", dear, "--reprice-closed")
    spend.ok("ingest", write_jsonl(tmp_path / "late.jsonl", [chat_record("s3", created=at("2026-09-25"))]))
    document = json.loads(spend.ok("report", "--reprice", "--by", "model", "--format", "json").stdout)
    rows = [(r["period"], r["model"], r["requests"], Decimal(r["frozen_cost"]), Decimal(r["current_cost"]),
             Decimal(r["difference"])) for r in document["rows"]]
    # September: frozen $0.006, $0.012 at the dearer card (the late record in neither); October is open
    assert rows == [("2026-09", "m", 2, Decimal("0.006"), Decimal("0.012"), Decimal("0.006")),
                    ("2026-10", "m", 1, Decimal("0.006"), Decimal("0.006"), Decimal("0"))]
    total = document["total"]
    assert (Decimal(total["frozen_cost"]), Decimal(total["current_cost"]), Decimal(total["difference"])) == (
        Decimal("0.012"), Decimal("0.018"), Decimal("0.006"))
    csv_text = spend.ok("report", "--reprice", "--by", "model", "--format", "csv").stdout
    assert csv_text.splitlines()[:2] == [
        "period,model,requests,frozen_cost,current_cost,difference,frozen_unpriced_requests,current_unpriced_requests",
        "2026-09,m,2,0.006,0.012,0.006,0,0"]
    table = spend.ok("report", "--reprice", "--by", "model", "--month", "2026-09").stdout.splitlines()
    assert [line.split() for line in table if not line.startswith("-")] == [
        ["period", "model", "requests", "frozen_cost", "current_cost", "difference"],
        ["2026-09", "m", "2", "$0.0060", "$0.0120", "$0.0060"],
        ["total", "2", "$0.0060", "$0.0120", "$0.0060"]]
    html = spend.ok("report", "--reprice", "--by", "model", "--format", "html").stdout
    body = html.split('<table id="reprice">', 1)[1].split("</table>", 1)[0]
    assert ('<td>2026-09</td><td>m</td><td class="num">2</td><td class="num">$0.0060</td>'
            '<td class="num">$0.0120</td><td class="num">+$0.0060</td>') in body
    # the plain report keeps the frozen numbers
    plain = json.loads(spend.ok("report", "--by", "model", "--format", "json").stdout)
    assert [(r["period"], Decimal(r["cost"])) for r in plain["rows"]] == [
        ("2026-09", Decimal("0.006")), ("2026-10", Decimal("0.006"))]
    refused = spend("report", "--reprice", "--format", "focus")
    assert refused.exit_code == 2 and refused.stderr == "error: --reprice writes table, csv, json or html, not focus\n"


@pytest.mark.spark
def test_a_closed_month_and_its_late_arrivals_read_the_same_on_spark(spend, tmp_path, spark_session):
    """report --lake --engine spark: the frozen numbers, the late arrivals and the provenance as
    DuckDB gives them over the same lake."""
    dear = closed_store(spend, tmp_path)
    spend.ok("rates", "load", dear, "--reprice-closed")
    spend.ok("ingest", write_jsonl(tmp_path / "late.jsonl", [chat_record("s3", created=at("2026-09-25"))]))
    spend.ok("export", "--lake", tmp_path / "lake")
    args = ("report", "--lake", tmp_path / "lake", "--by", "model", "--format", "json")
    on_duckdb = spend.ok(*args).stdout
    on_spark = spend.ok(*args, "--engine", "spark").stdout
    assert on_spark == on_duckdb
    document = json.loads(on_spark)
    assert [(r["period"], Decimal(r["cost"])) for r in document["rows"]] == [
        ("2026-09", Decimal("0.006")), ("2026-10", Decimal("0.006"))]
    assert [(r["month"], r["requests"], Decimal(r["cost"])) for r in document["late_arrivals"]] == [
        ("2026-09", 1, Decimal("0.006"))]
    assert document["meta"]["store"] == str((tmp_path / "lake").resolve())
    assert [c["month"] for c in document["meta"]["closed_months"]] == ["2026-09"]
