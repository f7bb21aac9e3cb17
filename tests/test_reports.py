"""Reports: CSV columns of the README, formula-safe cells, periods, filters, JSON and HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from decimal import Decimal
from html.parser import HTMLParser

from tests.helpers import chat_record, write_card, write_jsonl


def ts(*args) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def load(spend, tmp_path, records):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.90,3.30,,,,,\nfree,,0,0,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "logs.jsonl", records))


def tagged(rid, tenant, feature="chat", **kw):
    return chat_record(rid, metadata={"tenant": tenant, "feature": feature, "environment": "production"}, **kw)


def test_csv_columns_and_order_follow_spec(spend, tmp_path):
    load(spend, tmp_path, [
        tagged("a", "acme", created=ts(2026, 8, 3), prompt=4000, completion=1000),
        tagged("b", "acme", created=ts(2026, 9, 3), prompt=3000, completion=1000, cached=1000),
        tagged("c", "globex", "search", created=ts(2026, 9, 4), model="mystery", prompt=10, completion=1),
    ])
    out = spend.ok("report", "--by", "tenant,feature,model", "--period", "month", "--format", "csv").stdout
    assert out.splitlines() == [
        "period,tenant,feature,model,requests,input_tokens,cached_input_tokens,output_tokens,cost,unpriced_requests",
        "2026-08,acme,chat,m,1,4000,0,1000,0.0069,0",
        "2026-09,acme,chat,m,1,3000,1000,1000,0.006,0",
        "2026-09,globex,search,mystery,1,10,0,1,,1",
    ]


def test_text_cells_that_look_like_formulas_are_neutralised(spend, tmp_path):
    load(spend, tmp_path, [tagged(str(i), tenant) for i, tenant in
                           enumerate(["=cmd|calc", "+1", "-2", "@sum", "\tx", "\rcr", "plain"])])
    out = spend.ok("report", "--by", "tenant", "--period", "total", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out, newline="")))[1:]
    assert {row[1] for row in rows} == {"'=cmd|calc", "'+1", "'-2", "'@sum", "'\tx", "'\rcr", "plain"}
    assert {row[2] for row in rows} == {"1"}  # numbers are left as numbers


def test_periods_and_filters(spend, tmp_path):
    load(spend, tmp_path, [
        tagged("a", "acme", created=ts(2026, 8, 31, 23, 59, 59)),
        tagged("b", "acme", created=ts(2026, 9, 1)),
        tagged("c", "globex", created=ts(2026, 9, 30, 12)),
    ])

    def periods(*args):
        out = spend.ok("report", "--by", "tenant", "--format", "csv", *args).stdout
        return [tuple(line.split(",")[:3]) for line in out.splitlines()[1:]]

    assert periods("--period", "month") == [("2026-08", "acme", "1"), ("2026-09", "acme", "1"), ("2026-09", "globex", "1")]
    assert periods("--period", "day", "--month", "2026-09") == [("2026-09-01", "acme", "1"), ("2026-09-30", "globex", "1")]
    assert periods("--period", "week", "--tenant", "acme") == [("2026-W36", "acme", "2")]
    assert periods("--period", "total", "--since", "2026-09-01", "--until", "2026-09-30") == [
        ("total", "acme", "1"), ("total", "globex", "1")]
    assert periods("--period", "total", "--until", "2026-08-31") == [("total", "acme", "1")]


def test_missing_attribution_is_empty_in_csv_and_null_in_json(spend, tmp_path):
    load(spend, tmp_path, [chat_record("a")])
    out = spend.ok("report", "--by", "tenant,feature", "--period", "total", "--format", "csv").stdout
    assert out.splitlines()[1].startswith("total,,,1,")
    data = json.loads(spend.ok("report", "--by", "tenant,feature", "--period", "total", "--format", "json").stdout)
    assert (data["rows"][0]["tenant"], data["rows"][0]["feature"]) == (None, None)
    table = spend.ok("report", "--by", "tenant,feature", "--period", "total").stdout
    assert table.splitlines()[2].split()[:3] == ["total", "(none)", "(none)"]
    assert spend.sql("SELECT tenant FROM usage")[0]["tenant"] is None


def test_a_tenant_named_none_never_merges_with_missing_ones(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "(none)", prompt=1000, completion=0), chat_record("b", prompt=2000, completion=0),
                           chat_record("c", prompt=3000, completion=0, metadata={"tenant": '"(none)"'})])
    out = spend.ok("report", "--by", "tenant", "--period", "total", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted((r["tenant"], r["input_tokens"]) for r in rows) == [
        ("", "2000"), ('"(none)"', "3000"), ("(none)", "1000")]
    data = json.loads(spend.ok("report", "--by", "tenant", "--period", "total", "--format", "json").stdout)
    assert sorted((r["input_tokens"], r["tenant"]) for r in data["rows"]) == [
        (1000, "(none)"), (2000, None), (3000, '"(none)"')]
    table = spend.ok("report", "--by", "tenant", "--period", "total").stdout
    cells = {line.split()[1]: line.split()[3] for line in table.splitlines()[2:-2]}  # the rows, not the total
    assert cells == {"(none)": "2,000", '"(none)"': "1,000", '""(none)""': "3,000"}
    _, page = html_of(spend, "--by", "tenant", "--period", "total")
    # each tenant in the top tenants, the movers, the breakdown and the detail; the missing feature in the
    # top features and the movers
    assert page.missing == ["(none)"] * 6
    assert page.cells.count('"(none)"') == 4 and page.cells.count('""(none)""') == 4
    only = spend.ok("report", "--by", "tenant", "--period", "total", "--tenant", "(none)", "--format", "csv").stdout
    assert [r["input_tokens"] for r in csv.DictReader(io.StringIO(only))] == ["1000"]


def test_json_money_is_decimal_strings(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "acme", prompt=4000, completion=1000)])
    data = json.loads(spend.ok("report", "--by", "tenant", "--period", "total", "--format", "json").stdout)
    assert data["rows"][0]["cost"] == "0.0069"
    assert data["totals"]["cost"] == "0.0069"
    assert data["totals"]["unpriced_requests"] == 0
    assert data["by"] == ["tenant"]


class Structure(HTMLParser):
    """Collects headings, table count, cell texts (and those of class "missing") and scripts of an HTML page."""

    def __init__(self):
        super().__init__()
        self.headings, self.cells, self.missing, self.tables, self.scripts, self._tag = [], [], [], 0, 0, None
        self._class = None

    def handle_starttag(self, tag, attrs):
        self._tag, self._class = tag, dict(attrs).get("class")
        self.tables += tag == "table"
        self.scripts += tag == "script"

    def handle_data(self, data):
        if self._tag in ("h1", "h2"):
            self.headings.append(data.strip())
        elif self._tag in ("td", "th") and data.strip():
            self.cells.append(data.strip())
            if self._class == "missing":
                self.missing.append(data.strip())

    def handle_endtag(self, tag):
        self._tag = None


def html_of(spend, *args) -> tuple[str, Structure]:
    out = spend.ok("report", "--format", "html", *args).stdout
    page = Structure()
    page.feed(out)
    return out, page


def test_html_has_totals_change_charts_tables_and_unpriced_apart(spend, tmp_path):
    load(spend, tmp_path, [
        tagged("a", "acme", created=ts(2026, 8, 3), prompt=4000, completion=1000),
        tagged("b", "acme", created=ts(2026, 9, 3), prompt=8000, completion=2000),
        tagged("c", "globex", created=ts(2026, 9, 4), model="mystery"),
    ])
    text, page = html_of(spend, "--by", "tenant,model", "--period", "month")
    assert text.startswith("<!doctype html>")
    assert page.headings == [
        "LLM spend", "Change: September 2026 against August 2026", "Unusual days", "Spend over time",
        "Top tenants", "Top features", "Top models", "Model mix", "Cost split", "Unpriced usage",
        "Capacity and idle", "Spend by month", "By tenant", "By model", "Detail by month, tenant, model"]
    assert "No dedicated or GPU-cluster capacity in these months." in text  # capacity_costs exists, empty
    assert "mystery" in page.cells and "$0.0069" in page.cells and "unpriced" in page.cells
    # September against August: $0.0138 against $0.0069, +$0.0069 (+100.0%); acme moved most.
    change = text[text.index('id="change"'):text.index('id="anomalies"')]
    assert "$0.0138" in change and "+$0.0069" in change and "+100.0%" in change
    movers = change[change.index('id="movers"'):]
    assert movers.index("acme") < movers.index("</table>")
    # The cost split: uncached input 12,000 x $0.90/1M = $0.0108, output 3,000 x $3.30/1M = $0.0099.
    split = text[text.index('id="cost-split"'):]
    split = split[:split.index("</table>")]
    assert "$0.0108" in split and "$0.0099" in split and "$0.0207" in split
    assert text.count('class="total"') >= 5  # every spend table ends with a total row
    assert text.count("<svg") >= 4  # spend over time, top tenants / features / models, mix, split
    assert page.scripts == 0 and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")  # self-contained: nothing to fetch


def test_html_escapes_what_it_did_not_write(spend, tmp_path):
    hostile = "</script><script>alert(1)</script>"
    load(spend, tmp_path, [tagged("a", hostile, feature="a&b", prompt=4000, completion=1000),
                           tagged("b", "plain", feature="<img src=x onerror=alert(2)>")])
    text, page = html_of(spend, "--by", "tenant,feature")
    assert "<script" not in text and "<img" not in text and "onerror=alert" not in text.replace("onerror=alert(2)&gt;", "")
    flat = text.replace("<wbr>", "")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in flat and "a&amp;b" in flat
    svg = text[text.index("<svg"):text.rindex("</svg>")]
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svg  # chart labels escaped too
    assert page.scripts == 0


def test_charts_refuse_active_svg():
    import pytest

    from analyzer.charts import UnsafeChart, safe_svg

    assert "<svg" in safe_svg('<svg xmlns="http://www.w3.org/2000/svg"><text>&lt;b&gt;</text></svg>')
    for bad in ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
                '<svg><text>raw < text</text></svg>']:
        with pytest.raises(UnsafeChart):
            safe_svg(bad)


def test_a_tenant_statement_never_shows_another_tenant(spend, tmp_path):
    load(spend, tmp_path, [
        tagged("a", "acme", prompt=4000, completion=1000),
        tagged("b", "globex", "secret-feature", model="globex-private-model"),
    ])
    for fmt in ("html", "csv", "json", "table"):
        out = spend.ok("report", "--tenant", "acme", "--by", "tenant,feature,model", "--format", fmt).stdout
        assert "acme" in out
        assert "globex" not in out and "secret-feature" not in out, fmt
    data = json.loads(spend.ok("report", "--tenant", "acme", "--format", "json").stdout)
    assert Decimal(data["totals"]["cost"]) == Decimal("0.0069") and data["unpriced"] == []


def test_report_writes_to_a_file(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "acme")])
    target = tmp_path / "out.csv"
    assert spend.ok("report", "--format", "csv", "-o", target).stdout == ""
    assert target.read_text().startswith("period,tenant,feature,model,")


def test_report_usage_errors_exit_2(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "acme")])
    for args, text in [
        (["--by", "colour"], "--by colour: not a dimension"),
        (["--month", "2026-9x"], "--month '2026-9x' is not YYYY-MM"),
        (["--month", "2026-09", "--since", "2026-09-01"], "--month cannot be combined"),
        (["--period", "year"], "'year' is not one of"),
        (["--format", "pdf"], "'pdf' is not one of"),
        (["--sort", "colour"], "'colour' is not one of"),
        (["--top", "-1"], "-1 is not in the range"),
    ]:
        result = spend("report", *args)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr


def test_terminal_table_total_row_top_sort_and_width(spend, tmp_path, monkeypatch):
    long_model = "vendor/a-very-long-model-name-that-does-not-fit-in-a-narrow-terminal-v2"
    load(spend, tmp_path, [
        tagged("a", "acme", prompt=4000, completion=1000),            # $0.0069
        tagged("b", "globex", prompt=3_000_000, completion=1_000_000),  # $6.00
        tagged("c", "initech", prompt=1000, completion=0),             # $0.0009
        tagged("d", "umbrella", model=long_model),
        tagged("e", "initech", prompt=1000, completion=0),
    ])
    monkeypatch.setenv("COLUMNS", "200")
    out = spend.ok("report", "--by", "tenant", "--period", "total").stdout.splitlines()
    assert out[0].split() == ["period", "tenant", "requests", "input", "cached", "output", "cost", "unpriced"]
    assert [line.split()[1] for line in out[2:6]] == ["globex", "acme", "initech", "umbrella"]  # by cost
    assert out[-2].startswith("-----") and out[-1].split()[0] == "total"
    assert out[-1].split()[-2:] == ["$6.0087", "1"]  # the total row: every request, priced spend
    # One precision per money column: 4 places because $0.0018 would not show in cents.
    assert [line.split()[-2] for line in out[2:6]] == ["$6.0000", "$0.0069", "$0.0018", "unpriced"]
    by_name = spend.ok("report", "--by", "tenant", "--period", "total", "--sort", "name").stdout.splitlines()
    assert [line.split()[1] for line in by_name[2:6]] == ["acme", "globex", "initech", "umbrella"]
    by_requests = spend.ok("report", "--by", "tenant", "--period", "total", "--sort", "requests").stdout.splitlines()
    assert by_requests[2].split()[1] == "initech"
    top = spend.ok("report", "--by", "tenant", "--period", "total", "--top", "2").stdout.splitlines()
    assert [line.split()[1] for line in top[2:5]] == ["globex", "acme", "(2"]
    assert top[4].split()[1:3] == ["(2", "more)"] and top[4].split()[-2:] == ["$0.0018", "1"]
    assert top[-1].split()[-2:] == ["$6.0087", "1"]  # the total still covers every row
    csv_top = spend.ok("report", "--by", "tenant", "--period", "total", "--top", "2", "--format", "csv").stdout
    assert csv_top.splitlines()[-1] == "total,(2 more),3,3000,0,100,0.0018,1"
    monkeypatch.setenv("COLUMNS", "80")
    narrow = spend.ok("report", "--by", "tenant,model", "--period", "total").stdout.splitlines()
    assert max(len(line) for line in narrow) <= 80
    assert any("…" in line for line in narrow) and long_model not in "\n".join(narrow)
    assert "6.0M" in narrow[2] or "3.0M" in narrow[2]  # token counts compact when space is short


def test_filters_that_match_nothing_say_so(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "acme-corp", created=ts(2026, 8, 3)),
                           tagged("b", "globex", created=ts(2026, 10, 3))])
    result = spend("report", "--tenant", "acme")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: no usage for tenant 'acme'; closest: acme-corp"
    result = spend("report", "--month", "2026-09", "--format", "csv")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == ("error: no usage in 2026-09-01 to 2026-09-30; "
                                     "months with data: 2026-08, 2026-10")
    result = spend("report", "--tenant", "globex", "--month", "2026-08")
    assert result.exit_code == 1 and "for tenant 'globex'; months with data: 2026-10" in result.stderr
