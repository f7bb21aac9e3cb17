"""Capacity in reports: the (idle capacity) row makes tenant and feature rows add up to the total
spend exactly, totals carry idle_capacity_cost, and the capacity section is in every format;
none of it appears without capacities."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import write_card, write_jsonl
from tests.test_capacity import UNIT, ingest_tenants, tenant_record, write_capacity
from tests.test_reports import html_of

CAPACITY = "ep,dedicated,llama-70b,2026-09,1000,,,,7000000"  # $1,000 for at most 7M tokens a month
# Each share floored at 10^-18 USD: 1000 x 1M / 7M (a's share, and the idle part of 1M tokens
# unserved), x 2M (b), x 3M (c); the 3 units the four floors leave go to c, the largest share.
SEVENTH = Decimal("142.857142857142857142")
B_SHARE = Decimal("285.714285714285714285")
C_SHARE = Decimal("428.571428571428571428") + 3 * UNIT


def three_tenants(spend, tmp_path: Path, third: str = "c") -> None:
    """Three tenants (1M, 2M and 3M tokens) on the endpoint; tenant a also has one serverless
    request priced by the card (1,000 in at $1 + 100 out at $2 per 1M = $0.0012)."""
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap.csv", CAPACITY))
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "gpt-x,serverless,1,2,,,,,USD"))
    ingest_tenants(spend, tmp_path, "sept", [
        tenant_record("r1", "a", prompt=600_000, completion=400_000, feature="chat"),
        tenant_record("r2", "b", prompt=1_500_000, completion=500_000, feature="search"),
        tenant_record("r3", third, prompt=2_000_000, completion=1_000_000, feature="chat"),
    ])
    spend.ok("ingest", write_jsonl(tmp_path / "serverless.jsonl", [
        tenant_record("s1", "a", model="gpt-x", prompt=1000, completion=100, feature="chat")]))


def report_json(spend, *args: str) -> dict:
    return json.loads(spend.ok("report", "--format", "json", *args).stdout)


def test_tenant_rows_and_the_idle_row_add_up_to_the_total_spend_exactly(spend, tmp_path):
    three_tenants(spend, tmp_path)
    data = report_json(spend, "--by", "tenant", "--month", "2026-09")
    rows = {(r["tenant"], r["idle_capacity"]): Decimal(r["cost"]) for r in data["rows"]}
    assert rows == {("a", False): SEVENTH + Decimal("0.0012"), ("b", False): B_SHARE, ("c", False): C_SHARE,
                    (None, True): SEVENTH}
    totals = data["totals"]
    assert Decimal(totals["idle_capacity_cost"]) == SEVENTH
    assert Decimal(totals["cost"]) == Decimal(1000) - SEVENTH + Decimal("0.0012")
    assert sum(rows.values()) == Decimal(totals["cost"]) + Decimal(totals["idle_capacity_cost"]) == Decimal("1000.0012")
    idle = data["rows"][-1]  # the idle row is last in its period, with no requests or tokens
    assert idle == {"period": "2026-09", "tenant": None, "requests": 0, "input_tokens": 0, "cached_input_tokens": 0,
                    "output_tokens": 0, "cost": str(SEVENTH), "unpriced_requests": 0, "idle_capacity": True}
    assert data["capacity"] == [{"name": "ep", "kind": "dedicated", "month": "2026-09", "spend": "1000",
                                 "tokens": 6000000, "effective_per_mtok": "166.666666666666666667",
                                 "utilisation": "0.857142857142857143", "idle_cost": str(SEVENTH)}]
    # the feature breakdown adds up the same way
    features = report_json(spend, "--by", "feature", "--period", "total")["rows"]
    by_feature = {(r["feature"], r["idle_capacity"]): Decimal(r["cost"]) for r in features}
    assert by_feature == {("chat", False): SEVENTH + C_SHARE + Decimal("0.0012"), ("search", False): B_SHARE,
                          (None, True): SEVENTH}
    assert sum(by_feature.values()) == Decimal("1000.0012")


def test_csv_marks_the_idle_row_and_a_tenant_named_like_it_is_not_it(spend, tmp_path):
    three_tenants(spend, tmp_path, third="(idle capacity)")
    out = spend.ok("report", "--by", "tenant", "--month", "2026-09", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["period", "tenant", "requests", "input_tokens", "cached_input_tokens", "output_tokens",
                             "cost", "unpriced_requests", "idle_capacity"]
    assert [(r["tenant"], r["idle_capacity"], r["cost"]) for r in rows] == [
        ("(idle capacity)", "False", str(C_SHARE)),                # the tenant of that name: its share
        ("b", "False", str(B_SHARE)),
        ("a", "False", "142.858342857142857142"),
        ("", "True", str(SEVENTH)),                                # the idle row: no tenant, flagged
    ]
    assert sum(Decimal(r["cost"]) for r in rows) == Decimal("1000.0012")


def test_the_table_shows_the_reserved_label_quotes_a_spoof_and_totals_the_spend(spend, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    three_tenants(spend, tmp_path, third="(idle capacity)")
    out = spend.ok("report", "--by", "tenant,feature", "--month", "2026-09").stdout
    lines = out.splitlines()
    tenants = [line.split()[1] for line in lines[2:6]]
    assert tenants == ['"(idle', "b", "a", "(idle"]           # the spoof quoted, the idle row bare and last
    assert lines[5].startswith("2026-09  (idle capacity)  ") and lines[5].rstrip().endswith("$142.86         0")
    assert "(none)" not in lines[5]                            # its feature is not "missing": it has none
    assert lines[7].startswith("total") and "$1,000.00" in lines[7]
    section = out[out.index("Capacity (its idle is the (idle capacity) rows above):"):].splitlines()
    assert section[1].split() == ["capacity", "kind", "month", "spend", "tokens", "effective_per_1m", "utilisation",
                                  "idle"]
    assert section[3].split() == ["ep", "dedicated", "2026-09", "$1,000.00", "6,000,000", "$166.67", "85.7%",
                                  "$142.86"]


class Rows(HTMLParser):
    """The rows of an HTML page, table by table (the id of the last h2 before each): per row its
    class and its cells' text (<wbr> adds no text)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[str | None, list[str]]]] = {}
        self._section, self._in_cell = None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self._section = attrs.get("id")
        elif tag == "tr":
            self.tables.setdefault(self._section, []).append((attrs.get("class"), []))
        elif tag in ("td", "th"):
            self._in_cell = True
            self.tables[self._section][-1][1].append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False
            cells = self.tables[self._section][-1][1]
            cells[-1] = " ".join(cells[-1].split())

    def handle_data(self, data):
        if self._in_cell:
            self.tables[self._section][-1][1][-1] += data


def test_html_has_the_idle_row_in_the_breakdowns_and_the_capacity_section(spend, tmp_path):
    three_tenants(spend, tmp_path, third="(idle capacity)")
    text, page = html_of(spend, "--by", "tenant,feature", "--month", "2026-09")
    rows = Rows()
    rows.feed(text)
    by_tenant = rows.tables["by-tenant"]
    assert [(kind, cells[0], cells[5]) for kind, cells in by_tenant[1:]] == [
        (None, '"(idle capacity)"', "$428.57"),     # the tenant of that name, quoted
        (None, "b", "$285.71"),
        (None, "a", "$142.86"),
        ("idle", "(idle capacity)", "$142.86"),     # the idle row: the reserved label, last
        ("total", "total", "$1,000.00"),            # the rows add up to the spend
    ]
    assert by_tenant[-1][1][-1] == "100.0%"
    detail = rows.tables["detail"]
    assert [cells[1:3] for kind, cells in detail if kind == "idle"] == [["(idle capacity)", ""]]
    assert detail[-1][1][7] == "$1,000.00"
    assert rows.tables["capacity"][1:] == [
        (None, ["ep", "dedicated", "2026-09", "$1,000.00", "6,000,000", "$166.67", "85.7%", "$142.86"])]
    split = {cells[0]: cells[1] for kind, cells in rows.tables["split"][1:]}
    assert split["idle capacity"] == "$142.857143" and split["total"] == "$1,000.001200"
    assert "(idle capacity)" not in page.missing


def test_section_capacity_is_a_csv_and_json_of_its_own(spend, tmp_path):
    three_tenants(spend, tmp_path)
    spend.ok("capacity", "load", write_capacity(tmp_path / "cap2.csv", CAPACITY + "\nep,dedicated,llama-70b,2026-10,500,,,,"))
    out = spend.ok("report", "--section", "capacity", "--format", "csv").stdout
    assert out.splitlines() == [
        "name,kind,month,spend,tokens,effective_per_mtok,utilisation,idle_cost",
        f"ep,dedicated,2026-09,1000,6000000,166.666666666666666667,0.857142857142857143,{SEVENTH}",
        "ep,dedicated,2026-10,500,0,,,500",                        # a month with no usage: all idle
    ]
    # a month without usage has no report rows, but its capacity section is there
    october = json.loads(spend.ok("report", "--section", "capacity", "--month", "2026-10", "--format", "json").stdout)
    assert october == [{"name": "ep", "kind": "dedicated", "month": "2026-10", "spend": "500", "tokens": 0,
                        "effective_per_mtok": None, "utilisation": None, "idle_cost": "500"}]
    # all time: both months' idle in the total period, the rows still add up
    data = report_json(spend, "--by", "tenant", "--period", "total")
    assert Decimal(data["totals"]["idle_capacity_cost"]) == SEVENTH + 500
    assert sum(Decimal(r["cost"]) for r in data["rows"]) == Decimal("1500.0012")


@pytest.mark.parametrize("args, message", [
    (["--section", "capacity", "--format", "html"], "--section capacity is a table, CSV or JSON"),
    (["--section", "capacity", "--tenant", "a"], "--section capacity is about every tenant"),
])
def test_section_capacity_refuses_what_it_cannot_show(spend, tmp_path, args, message):
    three_tenants(spend, tmp_path)
    result = spend("report", *args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and message in result.stderr


def test_idle_belongs_to_the_period_of_its_months_first_day(spend, tmp_path):
    three_tenants(spend, tmp_path)
    days = report_json(spend, "--by", "tenant", "--period", "day")["rows"]
    assert [(r["period"], r["cost"]) for r in days if r["idle_capacity"]] == [("2026-09-01", str(SEVENTH))]
    weeks = report_json(spend, "--by", "tenant", "--period", "week")["rows"]
    assert [r["period"] for r in weeks if r["idle_capacity"]] == ["2026-W36"]
    # a range without the month's first day counts none of its idle (the next range holds it once)
    later = report_json(spend, "--by", "tenant", "--since", "2026-09-02", "--until", "2026-09-30")
    assert not any(r["idle_capacity"] for r in later["rows"])
    assert Decimal(later["totals"]["idle_capacity_cost"]) == 0 and later["capacity"] == []
    # --top folds tenants, never the idle row
    top = spend.ok("report", "--by", "tenant", "--month", "2026-09", "--top", "1").stdout.splitlines()
    assert [line.split()[1] for line in top[2:5]] == ["c", "(2", "(idle"]


def test_a_tenant_report_and_a_store_without_capacities_show_no_idle(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "gpt-x,serverless,1,2,,,,,USD"))
    spend.ok("ingest", write_jsonl(tmp_path / "serverless.jsonl", [tenant_record("s1", "a", model="gpt-x")]))
    plain = report_json(spend, "--by", "tenant")
    assert "capacity" not in plain and "idle_capacity_cost" not in plain["totals"]
    assert all("idle_capacity" not in r for r in plain["rows"])
    header = spend.ok("report", "--by", "tenant", "--format", "csv").stdout.splitlines()[0]
    assert header == "period,tenant,requests,input_tokens,cached_input_tokens,output_tokens,cost,unpriced_requests"
    assert "Capacity" not in spend.ok("report", "--by", "tenant").stdout
    three_tenants(spend, tmp_path)
    one = report_json(spend, "--by", "tenant", "--tenant", "a")
    assert "capacity" not in one and "idle_capacity_cost" not in one["totals"]
    assert [r["tenant"] for r in one["rows"]] == ["a"]
    text, page = html_of(spend, "--by", "tenant", "--tenant", "a")
    assert "Capacity and idle" not in page.headings and "(idle capacity)" not in text
    assert "Capacity and idle" in html_of(spend, "--by", "tenant")[1].headings


def test_a_closed_month_keeps_the_idle_frozen_at_its_close(spend, tmp_path):
    three_tenants(spend, tmp_path)
    spend.ok("close", "2026-09")
    # the endpoint repriced afterwards: $2,000 a month, for the closed month too
    spend.ok("capacity", "load", "--reprice-closed",
             write_capacity(tmp_path / "cap2.csv", CAPACITY.replace(",1000,", ",2000,")))
    data = report_json(spend, "--by", "tenant", "--month", "2026-09")
    assert Decimal(data["totals"]["idle_capacity_cost"]) == SEVENTH   # as frozen, not 2 x
    assert [r["cost"] for r in data["rows"] if r["idle_capacity"]] == [str(SEVENTH)]
    assert sum(Decimal(r["cost"]) for r in data["rows"]) == Decimal("1000.0012")
    assert data["capacity"][0]["spend"] == "1000"
