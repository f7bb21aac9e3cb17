"""Budgets: [budgets] in the config, spend and projected month end against them, check-budgets."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.helpers import chat_record, write_card, write_jsonl


def _ts(day: int) -> int:
    return int(datetime(2026, 9, day, 12, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def store(spend, tmp_path):
    """acme spends exactly $1.00 a day on chat and globex $0.50 a day on search, all September."""
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1000,0,,,,,"))
    records = [chat_record(f"a{d}", created=_ts(d), prompt=1000, completion=0,
                           metadata={"tenant": "acme", "feature": "chat"}) for d in range(1, 31)]
    records += [chat_record(f"g{d}", created=_ts(d), prompt=500, completion=0,
                            metadata={"tenant": "globex", "feature": "search"}) for d in range(1, 31)]
    spend.ok("ingest", write_jsonl(tmp_path / "logs.jsonl", records))
    return spend


def config(tmp_path, text: str):
    path = tmp_path / "spend.toml"
    path.write_text(text, encoding="utf-8")
    return path


BUDGETS = """
[budgets.tenant]
acme = "25.00"
globex = "9"
[budgets.feature]
chat = 40
"""


def test_check_budgets_over_and_projected_over(store, tmp_path):
    cfg = config(tmp_path, BUDGETS)
    # As of 2026-09-11: acme spent 10 full days = $10.00; trailing 7 days' mean $1.00 x 20 days
    # left (the 11th included) = $30.00 projected, over its $25.00. globex: $5.00 spent, $15.00
    # projected, over $9. chat (acme's only feature): $30.00 projected, under $40.
    result = store("check-budgets", "--as-of", "2026-09-11", "--format", "json", config=cfg)
    assert result.exit_code == 0, result.stderr
    lines = {(r["dimension"], r["name"]): r for r in json.loads(result.stdout)}
    assert lines["tenant", "acme"] == {"dimension": "tenant", "name": "acme", "month": "2026-09", "budget": "25",
                                          "spend": "10", "projected": "30", "status": "projected over"}
    assert (lines["tenant", "globex"]["spend"], lines["tenant", "globex"]["projected"]) == ("5", "15")
    assert lines["feature", "chat"]["status"] == "ok"
    text = store("check-budgets", "--as-of", "2026-09-11", config=cfg)
    assert text.stdout.splitlines() == [
        "projected over: tenant acme: $10.00 of $25.00 in 2026-09, projected $30.00",
        "projected over: tenant globex: $5.00 of $9.00 in 2026-09, projected $15.00",
    ]
    # As of the 20th globex has spent $9.50 of $9: over, exit 1 (for cron).
    late = store("check-budgets", "--as-of", "2026-09-20", config=cfg)
    assert late.exit_code == 1
    assert "over: tenant globex: $9.50 of $9.00 in 2026-09, projected $15.00" in late.stdout
    # A finished month has no projection: the spend is final.
    done = json.loads(store("check-budgets", "--month", "2026-09", "--format", "json", config=cfg).stdout)
    assert {(r["name"], r["spend"], r["projected"]) for r in done} == {("acme", "30", None), ("globex", "15", None),
                                                                      ("chat", "30", None)}


def test_budgets_in_the_report_and_the_statement(store, tmp_path):
    cfg = config(tmp_path, BUDGETS)
    html = store.ok("report", "--format", "html", "--month", "2026-09", "--as-of", "2026-09-11", config=cfg).stdout
    section = html[html.index('id="budgets"'):html.index('id="anomalies"')]
    assert "acme" in section and "globex" in section and "chat" in section
    assert "$30.00" in section and "projected over" in section
    projection = html[html.index('id="projection"'):html.index('id="budgets"')]
    assert "acme" in projection and "$10.00" in projection and "$30.00" in projection  # month to date, projected
    assert "globex" in projection and "$15.00" in projection and "$45.00" in projection  # and the total
    out = tmp_path / "st"
    store.ok("report", "--per-tenant", "--month", "2026-09", "--as-of", "2026-09-11", "-o", out, config=cfg)
    acme = (out / "2026-09_acme.html").read_text(encoding="utf-8")
    section = acme[acme.index('id="budgets"'):acme.index('id="anomalies"')]
    assert "$25.00" in section and "$30.00" in section
    projection = acme[acme.index('id="projection"'):acme.index('id="budgets"')]
    assert "$10.00" in projection and "$30.00" in projection and "$15.00" not in projection
    assert "globex" not in acme and "$9.00" not in acme and "$40.00" not in acme  # no one else's budget


def test_bad_budgets_and_no_budgets(store, tmp_path):
    for text, message in [('[budgets.tenant]\nacme = "lots"', "budgets.tenant.acme"),
                          ("[budgets.tenant]\nacme = -1", "must be an amount >= 0"),
                          ('[budgets.team]\nx = "1"', "budgets.team")]:
        result = store("check-budgets", config=config(tmp_path, text))
        assert result.exit_code == 1 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    result = store("check-budgets", config=config(tmp_path, "[pricing]\nbatch_discount = 0.5\n"))
    assert result.exit_code == 1 and "no budgets" in result.stderr
