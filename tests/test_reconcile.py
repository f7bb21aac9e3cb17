"""`reconcile`: the computed cost next to a bill, per day x model, each difference explained
exactly. Every figure is computed by hand below, in units of 1e-7 USD a token (0.90/1M = 9 units).

Card: m input 0.90 (9 units), cached 0.10 (1), cache write 1.25 (12.5), output 3.30 (33); no batch
row, so batch is the serverless rate x the store's discount 0.5 (4.5, 0.5, 6.25, 16.5 units).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from analyzer import render
from tests.helpers import FORMATS, write_card

CONFIG = '[attribution]\ntenant = ["tenant"]\nfeature = ["feature"]\nproject = ["project"]\n'
CARD = "m,,0.90,3.30,0.10,1.25,,,"
HEADER = "request_id,ts,model,mode,provider,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,tenant,project\n"
USAGE = """\
r1,2026-09-01T10:00:00Z,m,serverless,openai,1000,200,100,50,acme,p1
r2,2026-09-01T11:00:00Z,m,batch,openai,2000,400,0,100,acme,p1
r3,2026-09-02T10:00:00Z,m,serverless,openai,3000,1000,0,10,globex,p2
r4,2026-09-02T12:00:00Z,mystery,serverless,openai,10,0,0,1,globex,p2
r5,2026-09-03T09:00:00Z,m,serverless,openai,4000,0,0,1000,acme,p1
"""
# r1 = 700x9 + 200x1 + 100x12.5 + 50x33 = 6300 + 200 + 1250 + 1650 = 9400 units = 0.00094
# r2 (batch) = 1600x4.5 + 400x0.5 + 100x16.5 = 7200 + 200 + 1650 = 9050 units = 0.000905
#   day 2026-09-01, m: 18450 units = 0.001845
# r3 = 2000x9 + 1000x1 + 10x33 = 18000 + 1000 + 330 = 19330 units = 0.001933
# r4: mystery has no rate (unpriced)
# r5 = 4000x9 + 1000x33 = 36000 + 33000 = 69000 units = 0.0069


@pytest.fixture
def store(spend, tmp_path):
    config = tmp_path / "attribution.toml"
    config.write_text(CONFIG, encoding="utf-8")
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", CARD))
    (tmp_path / "usage.csv").write_text(HEADER + USAGE, encoding="utf-8")
    spend.ok("ingest", tmp_path / "usage.csv", config=config)
    return spend


def bill(tmp_path: Path, text: str, name: str = "bill.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reconcile(spend, path: Path, *args: str, code: int | None = None) -> dict:
    result = spend("reconcile", "--bill", path, *args, "--format", "json")
    if code is not None:
        assert result.exit_code == code, result.output + result.stderr
    return json.loads(result.stdout)


def rows_by(data: dict, *keys: str) -> dict:
    return {tuple(row[k] for k in keys): row for row in data["rows"]}


def test_cached_tokens_billed_at_the_full_input_rate(store, spend, tmp_path):
    # 2026-09-02 m: r3's 1000 cached tokens at 9 instead of 1 unit: +8000 units = 0.0008
    path = bill(tmp_path, "date,model,amount\n2026-09-02,m,0.002733\n")
    data = reconcile(spend, path, code=1)
    row = rows_by(data, "date", "model")[("2026-09-02", "m")]
    assert row == {"date": "2026-09-02", "model": "m", "requests": 1, "unpriced_requests": 0,
                   "computed": "0.001933", "billed": "0.002733", "difference": "0.0008",
                   "explained_by": ["cached_billed_as_input"], "also_explained_by": []}
    # one unit (1e-7) more is no longer that gap
    path = bill(tmp_path, "date,model,amount\n2026-09-02,m,0.0027331\n")
    row = rows_by(reconcile(spend, path), "date", "model")[("2026-09-02", "m")]
    assert row["difference"] == "0.0008001" and row["explained_by"] == ["unexplained"]


def test_batch_lines_billed_without_discount(store, spend, tmp_path):
    # The bill has a mode column: 2026-09-01 m batch = r2 at the serverless price:
    # 1600x9 + 400x1 + 100x33 = 14400 + 400 + 3300 = 18100 units = 0.00181 (computed 0.000905)
    path = bill(tmp_path, "date,model,mode,amount\n2026-09-01,m,serverless,0.00094\n2026-09-01,m,batch,0.00181\n")
    data = reconcile(spend, path, "--month", "2026-09")
    rows = rows_by(data, "date", "model", "mode")
    assert rows[("2026-09-01", "m", "batch")]["computed"] == "0.000905"
    assert rows[("2026-09-01", "m", "batch")]["difference"] == "0.000905"
    assert rows[("2026-09-01", "m", "batch")]["explained_by"] == ["batch_billed_without_discount"]
    assert rows[("2026-09-01", "m", "serverless")]["difference"] == "0"
    assert rows[("2026-09-01", "m", "serverless")]["explained_by"] == []


def test_two_causes_at_once_are_priced_together(store, spend, tmp_path):
    # r2 with no batch discount AND its cached tokens at the input rate: 2000x9 + 100x33 = 21300
    # units (+12250 against 9050). Alone: cached at input +1600 (2000x4.5 + 1650 = 10650), no
    # discount +9050; their sum (10650) is not the joint effect, which the pair is priced as.
    path = bill(tmp_path, "date,model,mode,amount\n2026-09-01,m,batch,0.00213\n")
    row = rows_by(reconcile(spend, path), "date", "model", "mode")[("2026-09-01", "m", "batch")]
    assert row["difference"] == "0.001225"
    assert row["explained_by"] == ["cached_billed_as_input", "batch_billed_without_discount"]
    path = bill(tmp_path, "date,model,mode,amount\n2026-09-01,m,batch,0.0019555\n")  # 9050 + 10650 units
    row = rows_by(reconcile(spend, path), "date", "model", "mode")[("2026-09-01", "m", "batch")]
    assert row["explained_by"] == ["unexplained"]


def test_cache_writes_billed_as_input(store, spend, tmp_path):
    # r1's 100 cache writes at 9 instead of 12.5 units: -350 units; with r2 (no writes) the day is
    # 18450 - 350 = 18100 units
    path = bill(tmp_path, "date,model,amount\n2026-09-01,m,0.00181\n")
    row = rows_by(reconcile(spend, path), "date", "model")[("2026-09-01", "m")]
    assert row["difference"] == "-0.000035"
    assert row["explained_by"] == ["cache_write_billed_as_input"]


def test_no_usage_unpriced_and_no_bill_rows(store, spend, tmp_path):
    path = bill(tmp_path, "date,model,amount\n2026-09-02,m,0.001933\n2026-09-02,mystery,0.0004\n"
                          "2026-09-02,gpt-unknown,1.25\n")
    data = reconcile(spend, path, "--month", "2026-09", code=1)
    rows = rows_by(data, "date", "model")
    assert rows[("2026-09-02", "m")]["explained_by"] == []
    assert rows[("2026-09-02", "mystery")] == {
        "date": "2026-09-02", "model": "mystery", "requests": 1, "unpriced_requests": 1, "computed": None,
        "billed": "0.0004", "difference": None, "explained_by": ["unpriced"], "also_explained_by": []}
    assert rows[("2026-09-02", "gpt-unknown")] == {
        "date": "2026-09-02", "model": "gpt-unknown", "requests": 0, "unpriced_requests": 0, "computed": "0",
        "billed": "1.25", "difference": "1.25", "explained_by": ["no_usage"], "also_explained_by": []}
    # with --month, the month's usage the bill does not show: 09-01 and 09-03
    assert rows[("2026-09-01", "m")]["explained_by"] == ["no_bill"]
    assert rows[("2026-09-01", "m")]["billed"] == "0" and rows[("2026-09-01", "m")]["difference"] == "-0.001845"
    assert rows[("2026-09-03", "m")]["difference"] == "-0.0069"
    # unpriced usage: the computed total is unknown, never a 0 (and so not within any tolerance)
    assert data["total"]["computed"] is None and data["total"]["difference"] is None
    assert data["total"]["billed"] == "1.252333"  # 0.001933 + 0.0004 + 1.25
    assert data["total"]["within_tolerance"] is False


def test_without_month_the_bill_days_are_compared(store, spend, tmp_path):
    path = bill(tmp_path, "date,model,amount\n2026-09-03,m,0.0069\n")
    data = reconcile(spend, path, code=0)
    assert [(r["date"], r["model"]) for r in data["rows"]] == [("2026-09-03", "m")]
    assert data["total"] == {"requests": 1, "unpriced_requests": 0, "computed": "0.0069", "billed": "0.0069",
                                  "difference": "0", "unexplained": "0", "tolerance_pct": "1",
                                  "tolerance": "0.000069", "within_tolerance": True}
    assert data["bill"]["first_day"] == data["bill"]["last_day"] == "2026-09-03"


def test_tolerance_exit_code_both_ways(store, spend, tmp_path):
    # billed 0.00697 against 0.0069: 0.00007 = 1.0043% of billed
    path = bill(tmp_path, "date,model,amount\n2026-09-03,m,0.00697\n")
    assert spend("reconcile", "--bill", path).exit_code == 1  # default 1%
    assert spend("reconcile", "--bill", path, "--tolerance", "1.01").exit_code == 0
    data = reconcile(spend, path, "--tolerance", "1.01", code=0)
    assert data["total"]["difference"] == "0.00007" and data["total"]["tolerance"] == "0.000070397"
    assert data["total"]["within_tolerance"] is True
    assert spend("reconcile", "--bill", path, "--tolerance", "1.004").exit_code == 1
    exact = bill(tmp_path, "date,model,amount\n2026-09-03,m,0.0069\n", "exact.csv")
    assert spend("reconcile", "--bill", exact, "--tolerance", "0").exit_code == 0
    bad = spend("reconcile", "--bill", exact, "--tolerance", "abc")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "--tolerance" in bad.stderr


def test_project_and_tenant_keys_of_a_plain_csv(store, spend, tmp_path):
    # 09-01: acme/p1 m = r1 + r2 = 0.001845; 09-03: acme/p1 = 0.0069
    path = bill(tmp_path, "date,model,project,tenant,amount,currency\n2026-09-01,m,p1,acme,0.001845,usd\n"
                          "2026-09-03,m,p1,acme,0.0069,USD\n2026-09-03,m,p2,acme,0.01,USD\n")
    data = reconcile(spend, path)
    rows = rows_by(data, "date", "model", "project", "tenant")
    assert rows[("2026-09-01", "m", "p1", "acme")]["difference"] == "0"
    assert rows[("2026-09-03", "m", "p1", "acme")]["difference"] == "0"
    assert rows[("2026-09-03", "m", "p2", "acme")]["explained_by"] == ["no_usage"]
    assert data["bill"]["keys"] == ["model", "project", "tenant"]
    assert "mode" not in data["rows"][0]


def test_openai_costs_api_pages(store, spend, tmp_path):
    # 1788220800 = 2026-09-01T00:00:00Z, 1788307200 = 2026-09-02T00:00:00Z
    page = {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": 1788220800, "end_time": 1788307200, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.0012, "currency": "usd"},
             "line_item": "m, input", "project_id": "p1", "quantity": None, "quantity_unit": None},
            {"object": "organization.costs.result", "amount": {"value": 0.000645, "currency": "usd"},
             "line_item": "m, output", "project_id": "p1"}]},
        {"object": "bucket", "start_time": 1788307200, "end_time": 1788393600, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.002733, "currency": "usd"},
             "line_item": "m, input", "project_id": "p2"}]}]}
    path = bill(tmp_path, json.dumps(page), "costs.json")
    data = reconcile(spend, path)
    assert data["bill"]["format"] == "openai-costs" and data["bill"]["keys"] == ["model", "project"]
    rows = rows_by(data, "date", "model", "project")
    # 0.0012 + 0.000645 = 0.001845, the day's computed cost of p1
    assert rows[("2026-09-01", "m", "p1")]["billed"] == "0.001845"
    assert rows[("2026-09-01", "m", "p1")]["difference"] == "0"
    assert rows[("2026-09-02", "m", "p2")]["explained_by"] == ["cached_billed_as_input"]
    # JSON Lines of pages read the same
    lines = bill(tmp_path, json.dumps(page) + "\n" + json.dumps({**page, "data": []}) + "\n", "costs.jsonl")
    assert reconcile(spend, lines)["rows"] == data["rows"]


@pytest.mark.parametrize("name, kind, row", [
    ("openai_costs.json", "openai-costs", {"date": "2024-11-01", "billed": "0.06"}),
    ("litellm_spendlogs.CONSTRUCTED.json", "litellm", {"date": "2025-06-10", "model": "gpt-4o-mini", "billed": "0.000318"}),
    ("litellm_spendlogs_table.CONSTRUCTED.csv", "litellm",
     {"date": "2025-06-10", "model": "gpt-4o-mini", "billed": "0.000318"}),
    ("focus_v1_2.CONSTRUCTED.csv", "focus",
     {"date": "2025-06-10", "model": "gpt-4o-mini-2024-07-18", "project": "proj_abc", "billed": "0.15"}),
])
def test_the_real_record_shapes_read_as_bills(store, spend, name, kind, row):
    data = reconcile(spend, FORMATS / name, code=1)  # nothing of 2024 / 2025 in the store: all billed, no usage
    assert data["bill"]["format"] == kind
    assert [{k: r[k] for k in row} for r in data["rows"]] == [row]
    assert data["rows"][0]["explained_by"] == ["no_usage"] and data["rows"][0]["difference"] == row["billed"]


def litellm_row(request_id: str, start: str, model: str, spend: str, status: str = "success") -> dict:
    """A SpendLogs row in the shape of tests/fixtures/formats/litellm_spendlogs.CONSTRUCTED.json."""
    row = json.loads((FORMATS / "litellm_spendlogs.CONSTRUCTED.json").read_text(encoding="utf-8"))[0]
    return {**row, "request_id": request_id, "startTime": start, "model": model, "model_group": model,
            "spend": spend, "status": status}


def test_litellm_spend_json_and_csv(store, spend, tmp_path):
    records = [litellm_row("a", "2026-09-03T09:00:00Z", "m", "0.0060"),
               litellm_row("b", "2026-09-03T10:00:00.5Z", "m", "0.0009"),
               litellm_row("c", "2026-09-03T11:00:00Z", "m", "0.5", status="failure")]
    text = json.dumps(records).replace('"0.0060"', "0.0060").replace('"0.0009"', "0.0009")  # JSON numbers
    data = reconcile(spend, bill(tmp_path, text, "spendlogs.json"), code=0)
    assert data["bill"]["format"] == "litellm" and data["bill"]["records_not_charges"] == 1
    assert [(r["date"], r["model"], r["billed"], r["difference"]) for r in data["rows"]] == [
        ("2026-09-03", "m", "0.0069", "0")]
    header = ["request_id", "call_type", "spend", "startTime", "model", "status"]
    csv_text = ",".join(header) + "\n" + "".join(
        ",".join(str(r[h]) for h in header) + "\n" for r in records)
    data = reconcile(spend, bill(tmp_path, csv_text, "spendlogs.csv"), code=0)
    assert data["bill"]["format"] == "litellm" and data["rows"][0]["billed"] == "0.0069"


def test_our_own_focus_export_reconciles_to_zero(store, spend, tmp_path):
    for name in ("focus.csv", "focus.parquet"):
        spend.ok("report", "--format", "focus", "--month", "2026-09", "-o", tmp_path / name)
        data = reconcile(spend, tmp_path / name)
        assert data["bill"]["format"] == "focus"
        assert data["bill"]["keys"] == ["model", "project", "tenant", "mode"]
        priced = [r for r in data["rows"] if r["model"] != "mystery"]
        assert len(priced) == 4 and all(r["difference"] == "0" and r["explained_by"] == [] for r in priced)
        # the export leaves unpriced usage out: it shows as not billed, unpriced
        assert rows_by(data, "model")[("mystery",)]["explained_by"] == ["no_bill", "unpriced"]
        assert data["total"]["billed"] == "0.010678"  # 0.001845 + 0.001933 + 0.0069


def test_a_focus_file_of_another_tool(store, spend, tmp_path):
    # the shared FOCUS sample: the model in SkuId, the project as a Project sub-account, 0.15 USD
    text = (FORMATS / "focus_v1_2.CONSTRUCTED.csv").read_text(encoding="utf-8")
    data = reconcile(spend, bill(tmp_path, text, "focus.csv"))
    assert data["rows"] == [{"date": "2025-06-10", "model": "gpt-4o-mini-2024-07-18", "project": "proj_abc",
                             "requests": 0, "unpriced_requests": 0, "computed": "0", "billed": "0.15",
                             "difference": "0.15", "explained_by": ["no_usage"], "also_explained_by": []}]
    # ChargeCategory Tax is not a usage charge; --bill-format forces the reader
    taxed = text + text.splitlines()[1].replace(",Usage,", ",Tax,") + "\n"
    data = reconcile(spend, bill(tmp_path, taxed, "taxed.txt"), "--bill-format", "focus")
    assert data["bill"]["records_not_charges"] == 1 and data["total"]["billed"] == "0.15"


@pytest.mark.parametrize("text, where", [
    ("date,model,amount\n2026-09-01,m,0.1\n2026-09-02,m,1,5\n", " line 3: 4 cells"),
    ("date,model,amount\n2026-09-01,m,0.1\n2026-09-02,m,ten\n", " line 3: amount 'ten' is not a number"),
    ("date,model,amount\n2026-9-1,m,0.1\n", " line 2: date '2026-9-1' is not YYYY-MM-DD"),
    ("date,model,amount\n2026-09-01,,0.1\n", " line 2: model is empty"),
    ("date,model,amount\n2026-09-01,m,0.1234567890123456789\n", " line 2: amount 0.1234567890123456789 has more than 18"),
    ("date,model,amount,currency\n2026-09-01,m,0.1,USD\n2026-09-02,m,0.1,EUR\n", " line 3: currency EUR differs"),
    ("date,model,amount,mode\n2026-09-01,m,0.1,turbo\n", " line 2: mode 'turbo' is not one of"),
    ("day,cost\n2026-09-01,0.1\n", ": not a bill llm-spend reads"),
    ('{"object": "page", "data": [{"object": "bucket", "start_time": 1788220800, "results": [\n'
     '{"object": "organization.costs.result", "amount": {"value": "x"}}]}]}', " record 1 bucket 1 result 1: amount.value"),
    ('{"object": "page",\n "data": [}\n', " line 2: not JSON"),
    ("", ": the file is empty"),
])
def test_a_bad_bill_is_one_line_exit_2_and_nothing_changes(store, spend, tmp_path, text, where):
    before = spend.sql("SELECT (SELECT count(*) FROM usage) AS usage, (SELECT count(*) FROM reconciliations) AS runs")
    path = bill(tmp_path, text, "bad.csv")
    result = spend("reconcile", "--bill", path)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: bill {path}{where}")
    assert result.stderr.count("\n") == 1
    assert spend.sql("SELECT (SELECT count(*) FROM usage) AS usage, (SELECT count(*) FROM reconciliations) AS runs") \
        == before


def test_a_bill_in_another_currency_is_refused(store, spend, tmp_path):
    result = spend("reconcile", "--bill", bill(tmp_path, "date,model,amount,currency\n2026-09-01,m,0.1,EUR\n"))
    assert result.exit_code == 2
    assert "line 2: the bill is in EUR, the store prices in USD" in result.stderr


def test_the_html_report_shows_the_last_reconciliation_of_its_month(store, spend, tmp_path):
    html_before = spend.ok("report", "--format", "html", "--month", "2026-09").stdout
    assert 'id="reconciliation"' not in html_before
    spend("reconcile", "--bill", bill(tmp_path, "date,model,amount\n2026-09-02,m,0.002733\n<b>x,m,1\n"))  # refused
    assert spend.sql("SELECT count(*) AS n FROM reconciliations") == [{"n": 0}]
    path = bill(tmp_path, "date,model,amount\n2026-09-02,m,0.002733\n2026-09-02,<b>gpt,1\n")
    spend("reconcile", "--bill", path)
    html = spend.ok("report", "--format", "html", "--month", "2026-09").stdout
    section = html.split('<h2 id="reconciliation">', 1)[1].split("<h2 ", 1)[0]
    assert "cached_billed_as_input" in section and "0.0008" in section
    assert "&lt;b&gt;gpt" in section and "<b>gpt" not in section  # autoescaped
    assert str(path) in section
    # a newer reconciliation of the month replaces it
    spend("reconcile", "--bill", bill(tmp_path, "date,model,amount\n2026-09-03,m,0.0069\n", "b2.csv"))
    assert spend.sql("SELECT count(*) AS n FROM reconciliations") == [{"n": 1}]
    section = spend.ok("report", "--format", "html", "--month", "2026-09").stdout.split(
        '<h2 id="reconciliation">', 1)[1].split("<h2 ", 1)[0]
    assert "b2.csv" in section and "cached_billed_as_input</span>" not in section
    # not for a tenant's report (its rows are everyone's)
    tenant = spend.ok("report", "--format", "html", "--month", "2026-09", "--tenant", "acme").stdout
    assert 'id="reconciliation"' not in tenant


def test_html_csv_and_table_formats(store, spend, tmp_path):
    path = bill(tmp_path, "date,model,amount\n2026-09-02,m,0.002733\n")
    out = spend("reconcile", "--bill", path, "--format", "csv")
    assert out.stdout.splitlines() == [
        "date,model,requests,unpriced_requests,computed,billed,difference,explained_by",
        "2026-09-02,m,1,0,0.001933,0.002733,0.0008,cached_billed_as_input",
        "2026-09-02,mystery,1,1,,0,,no_bill+unpriced"]
    table = spend("reconcile", "--bill", path).stdout
    assert "$0.0008" in table and "computed unknown (1 requests unpriced): cannot be shown within" in table
    table = spend("reconcile", "--bill", bill(tmp_path, "date,model,amount\n2026-09-03,m,0.00697\n", "b.csv")).stdout
    assert table.splitlines()[-1].endswith("computed $0.0069, difference $0.00007 (+1.00% of billed): "
                                           "OUTSIDE the 1% tolerance; unexplained $0.00007")
    spend("reconcile", "--bill", path, "-o", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and 'id="reconciliation-rows"' in page
    assert render.exact(Decimal("0.0008")) in page
