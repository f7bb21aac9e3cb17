"""Names come from the logs: on a terminal their control characters are shown, not obeyed; in CSV
a cell a spreadsheet would run as a formula is neutralised; JSON keeps the exact data."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from analyzer.render import neutralise, visible, write_csv, write_json_records
from tests.helpers import chat_record, on_a_terminal, write_card, write_jsonl

CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # OSC 52: writes the operator's clipboard
CLEAR = "\x1b[2J"
HOSTILE = f"acme{CLIPBOARD}{CLEAR}\u202egnp.exe\x9b"


@pytest.fixture
def hostile(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.90,3.30,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("a", metadata={"tenant": HOSTILE, "feature": "chat\nfake line"}),
        chat_record("b", model=f"model{CLEAR}"),
    ]))
    return spend


def assert_inert(text: str) -> None:
    for char in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert char not in text
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in text or "\\x1b[2J" in text


@pytest.mark.parametrize("args", [
    ["report", "--by", "tenant,feature,model"],
    ["status"],
    ["rates", "unpriced"],
    ["sql", "SELECT tenant, feature, model FROM usage"],
], ids=" ".join)
def test_terminal_tables_show_control_characters(hostile, args):
    result = hostile.ok(*args)
    assert_inert(result.stdout)
    assert "fake line" not in result.stdout or "chat\\x0afake line" in result.stdout


def test_json_and_csv_files_keep_the_exact_names(hostile, tmp_path):
    rows = json.loads(hostile.ok("report", "--by", "tenant", "--period", "total", "--format", "json").stdout)["rows"]
    assert HOSTILE in {row["tenant"] for row in rows}
    target = tmp_path / "spend.csv"
    hostile.ok("report", "--by", "tenant", "--period", "total", "-o", target)
    assert HOSTILE in {row["tenant"] for row in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))}


def test_csv_printed_on_a_terminal_shows_control_characters(hostile):
    """A real terminal (a pty) on stdout: CSV there is for eyes, so it is made visible too."""
    code, err, seen = on_a_terminal("--db", hostile.db, "report", "--by", "tenant", "--format", "csv", terminal="stdout")
    assert code == 0, err
    assert_inert(seen)


def test_error_lines_show_control_characters(spend, tmp_path):
    result = spend("ingest", tmp_path / f"no{CLEAR}such.jsonl")
    assert result.exit_code == 1 and "\x1b" not in result.stderr and "no\\x1b[2Jsuch.jsonl" in result.stderr


def test_visible_is_one_rule():
    assert visible("a\x00b\x1b[31mc\td\ne\x7ff\x85g\u202eh\u2066i") == \
        "a\\x00b\\x1b[31mc\\x09d\\x0ae\\x7ff\\x85g\\u202eh\\u2066i"
    assert visible("plain, café, 東京, emoji \U0001f600, back\\slash") == "plain, café, 東京, emoji \U0001f600, back\\slash"


@pytest.mark.parametrize("cell", [
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
    "  =HYPERLINK(\"http://x\")", "\n=1+1", "\r\n@SUM(A1)", " \t -2+3",
    "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)", "\ufe661+1",  # full-width and small forms
])
def test_formula_like_text_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["acme", "a=b", "1+1", "  plain", "", "(none)", "\u00a0x"])
def test_other_text_is_left_alone(cell):
    assert neutralise(cell) == cell


def test_numbers_stay_numbers_in_csv():
    out = io.StringIO()
    write_csv(["tenant", "cost", "n"], [("-x", Decimal("-1.50"), -3)], out)
    assert out.getvalue() == "tenant,cost,n\r\n'-x,-1.5,-3\r\n"


def test_report_csv_neutralises_names_after_spaces_and_line_ends(spend, tmp_path):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [
        chat_record("a", metadata={"tenant": "  =cmd|'/c calc'!A1"}),
        chat_record("b", metadata={"tenant": "\n+1"}),
        chat_record("c", metadata={"tenant": "\uff1dHYPERLINK(1)"}),
    ]))
    out = spend.ok("report", "--by", "tenant", "--period", "total", "--format", "csv").stdout
    tenants = [row["tenant"] for row in csv.DictReader(io.StringIO(out))]
    assert sorted(tenants) == sorted(["'  =cmd|'/c calc'!A1", "'\n+1", "'\uff1dHYPERLINK(1)"])


@pytest.mark.parametrize("render", ["csv", "json"])
def test_renderers_write_each_row_before_reading_the_next(render):
    """Streaming: a large result goes out row by row, never gathered first."""
    class Out(io.StringIO):
        pass

    out = Out()
    seen = []

    def rows():
        for i in range(3):
            seen.append(out.getvalue().count("row"))  # rows already written when this one is asked for
            yield (f"row{i}",)

    if render == "csv":
        write_csv(["name"], rows(), out)
    else:
        write_json_records(["name"], rows(), out)
    assert seen == [0, 1, 2]
