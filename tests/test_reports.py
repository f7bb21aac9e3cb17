"""Reports: CSV columns of SPEC, formula-safe cells, periods, filters, JSON and HTML."""

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
    cells = {line.split()[1]: line.split()[3] for line in table.splitlines()[2:]}
    assert cells == {"(none)": "2,000", '"(none)"': "1,000", '""(none)""': "3,000"}
    _, page = html_of(spend, "--by", "tenant", "--period", "total")
    assert page.missing == ["(none)", "(none)"]  # the missing tenant, in the breakdown and the detail
    assert page.cells.count('"(none)"') == 2 and page.cells.count('""(none)""') == 2
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


def test_html_has_totals_a_table_per_dimension_and_unpriced_apart(spend, tmp_path):
    load(spend, tmp_path, [
        tagged("a", "acme", prompt=4000, completion=1000),
        tagged("b", "globex", model="mystery"),
    ])
    text, page = html_of(spend, "--by", "tenant,model", "--period", "month")
    assert text.startswith("<!doctype html>")
    assert page.headings == ["LLM spend", "Spend by month", "By tenant", "By model", "Unpriced usage",
                             "Detail by month, tenant, model"]
    assert page.tables == 5  # per period, one per dimension, unpriced, detail
    assert "mystery" in page.cells and "$0.0069" in page.cells and "unpriced" in page.cells
    assert page.scripts == 0 and "http://" not in text and "https://" not in text  # self-contained


def test_html_escapes_what_it_did_not_write(spend, tmp_path):
    load(spend, tmp_path, [tagged("a", "<script>alert(1)</script>", feature="a&b")])
    text, page = html_of(spend, "--by", "tenant,feature")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "a&amp;b" in text


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
    ]:
        result = spend("report", *args)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr
