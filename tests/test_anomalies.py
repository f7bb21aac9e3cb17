"""Anomalies: the rule on a known daily series, and flags in the report and in `status`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from analyzer.anomalies import Rule, flag_series
from tests.helpers import chat_record, write_card, write_jsonl

START = date(2026, 9, 1)


def series(values: list[str]) -> dict[date, Decimal]:
    return {START + timedelta(days=i): Decimal(v) for i, v in enumerate(values) if v is not None}


def test_rule_on_a_known_series():
    # 14 ordinary days (median 1.00), then: 3.00 (exactly 3x: not more), 3.01 (flagged), and a
    # quiet day; the median of the window before day 17 is still 1.00.
    values = ["1.00", "0.90", "1.10", "1.00", "1.00", "0.95", "1.05", "1.00", "1.00", "1.20",
              "0.80", "1.00", "1.00", "1.00", "3.00", "3.01", "1.00"]
    flagged = flag_series(series(values))
    assert flagged == [(date(2026, 9, 16), Decimal("3.01"), Decimal("1.00"))]


def test_minimum_amount_and_missing_days_count_as_zero():
    # A key that spends 0.10 a day: a 0.90 day is 9x but under the 1.00 minimum.
    assert flag_series(series(["0.10"] * 14 + ["0.90"])) == []
    # Days without usage count as 0: mostly idle, then 1.00 (median 0): flagged.
    quiet = {START: Decimal("0.50"), START + timedelta(days=14): Decimal("1.00")}
    assert flag_series(quiet) == [(START + timedelta(days=14), Decimal("1.00"), Decimal(0))]
    # A lower minimum and a smaller factor flag what the defaults do not.
    assert flag_series(series(["0.10"] * 14 + ["0.90"]), Rule(factor=Decimal(2), min_spend=Decimal("0.5"))) == [
        (START + timedelta(days=14), Decimal("0.90"), Decimal("0.10"))]


def test_a_key_needs_a_full_window_of_history():
    # A new tenant's big second day is not judged: it has no 14 days of history yet.
    assert flag_series(series(["1.00", "50.00"])) == []
    assert flag_series(series(["1.00"] * 13 + ["50.00"])) == []
    assert flag_series(series(["1.00"] * 14 + ["50.00"])) == [(START + timedelta(days=14), Decimal("50.00"), Decimal("1.00"))]


def _day(n: int) -> int:
    return int(datetime(2026, 9, 1, 12, tzinfo=timezone.utc).timestamp()) + n * 86400


def test_flagged_in_the_report_and_in_status(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1000,0,,,,,"))
    # acme: 1,000 input tokens a day at $1000/1M = $1.00, and on day 20, $5.00; globex steady.
    records = [chat_record(f"a{n}", created=_day(n), prompt=5000 if n == 20 else 1000, completion=0,
                           metadata={"tenant": "acme"}) for n in range(21)]
    records += [chat_record(f"g{n}", created=_day(n), prompt=1000, completion=0, metadata={"tenant": "globex"})
                for n in range(21)]
    spend.ok("ingest", write_jsonl(tmp_path / "logs.jsonl", records))
    status = json.loads(spend.ok("status", "--format", "json").stdout)
    # The model's day is $6.00 against a usual $2.00: exactly 3x, not more: only the tenant is flagged.
    assert [(a["dimension"], a["name"], a["day"], a["cost"], a["baseline"]) for a in status["anomalies"]] == [
        ("tenant", "acme", "2026-09-21", "5", "1")]
    assert "unusual day: 2026-09-21 tenant acme: spend 5.00, usual 1.00" in spend.ok("status").stdout
    html = spend.ok("report", "--format", "html", "--month", "2026-09").stdout
    section = html[html.index('id="anomalies"'):html.index('id="charts"')]
    assert "2026-09-21" in section and "acme" in section and "globex" not in section and "5.0x" in section
