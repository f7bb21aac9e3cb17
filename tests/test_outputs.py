"""Outputs: one registry; `-o FILE` takes the format from its extension; contradictions are usage errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from analyzer.outputs import RENDERERS, Result, emit, format_for_extension, resolve_format
from tests.helpers import chat_record, write_card, write_jsonl


@pytest.fixture
def loaded(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,0.90,3.30,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("a", prompt=4000, completion=1000,
                                                                      metadata={"tenant": "acme"})]))
    return spend


def test_report_to_an_html_file_is_html(loaded, tmp_path):
    target = tmp_path / "spend.html"
    assert loaded.ok("report", "-o", target).stdout == ""
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "$0.0069" in text
    # the same bytes as asking for it by name (but for the minute it was generated)
    named = loaded.ok("report", "--format", "html").stdout
    assert text.split("generated")[0] == named.split("generated")[0]


@pytest.mark.parametrize("args,check", [
    (["report", "--by", "tenant"], lambda text: json.loads(text)["totals"]["cost"] == "0.0069"),
    (["rates", "list"], lambda text: json.loads(text)[0]["model"] == "m"),
    (["rates", "unpriced"], lambda text: json.loads(text) == []),
    (["status"], lambda text: json.loads(text)["usage"]["rows"] == 1),
    (["sql", "SELECT cost FROM priced_usage"], lambda text: json.loads(text) == [{"cost": "0.0069"}]),
    (["estimate", "--model", "m", "--input-tokens", "1000", "--output-tokens", "1", "--requests", "1"],
     lambda text: Decimal(json.loads(text)["monthly_cost"]) == Decimal("0.0009033")),
])
def test_a_json_file_name_means_json_for_every_command(loaded, tmp_path, args, check):
    target = tmp_path / "out.JSON"
    assert loaded.ok(*args, "-o", target).stdout == ""
    assert check(target.read_text(encoding="utf-8"))


def test_a_csv_file_name_means_csv(loaded, tmp_path):
    target = tmp_path / "out.csv"
    loaded.ok("report", "--by", "tenant", "--period", "total", "-o", target)
    assert target.read_bytes().startswith(b"period,tenant,requests,")
    assert target.read_bytes() == loaded.ok("report", "--by", "tenant", "--period", "total",
                                            "--format", "csv").stdout_bytes


def test_another_extension_keeps_the_default_table(loaded, tmp_path):
    target = tmp_path / "spend.txt"
    loaded.ok("report", "--by", "tenant", "-o", target)
    lines = target.read_text().splitlines()
    assert lines[0].split()[:3] == ["period", "tenant", "requests"] and set(lines[1]) <= {"-", " "}


@pytest.mark.parametrize("args,text", [
    (["report", "--format", "csv", "-o", "x.json"], "--format csv contradicts -o x.json"),
    (["report", "--format", "table", "-o", "x.html"], "--format table contradicts -o x.html"),
    (["sql", "SELECT 1", "--format", "json", "-o", "x.csv"], "--format json contradicts -o x.csv"),
    (["status", "-o", "x.csv"], "the extension means csv, which this command does not write"),
    (["status", "-o", "x.html"], "the extension means html"),
    (["report", "--format", "pdf"], "'pdf' is not one of"),
    (["rates", "list", "--format", "html"], "'html' is not one of"),
])
def test_format_and_file_name_disagreeing_is_a_usage_error(loaded, tmp_path, args, text):
    result = loaded(*args)
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr
    assert not list(tmp_path.glob("x.*"))


def test_an_unwritable_output_is_one_line_exit_1(loaded, tmp_path):
    result = loaded("report", "-o", tmp_path / "no" / "such" / "folder" / "x.csv")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write ") and result.stderr.count("\n") == 1


def test_a_failed_render_leaves_the_previous_file_and_no_partial(tmp_path):
    target = tmp_path / "spend.csv"
    target.write_text("last good report\n")

    def rows():
        yield ("a", 1)
        raise RuntimeError("the query failed half way")

    with pytest.raises(RuntimeError):
        emit(Result(["name", "n"], rows()), "csv", str(target))
    assert target.read_text() == "last good report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["spend.csv"]


def test_every_extension_names_one_format_and_round_trips():
    seen = {}
    for renderer in RENDERERS.values():
        for ext in renderer.extensions:
            seen.setdefault(ext, renderer.name)
            assert format_for_extension(f"report{ext.upper()}") == seen[ext]
            assert resolve_format(None, f"x{ext}", tuple(RENDERERS)) == seen[ext]
            assert resolve_format(renderer.name, f"x{ext}", tuple(RENDERERS)) == renderer.name
    assert set(seen) >= {".csv", ".json", ".html"}
    assert resolve_format(None, None, ("table", "json")) == "table"
    assert resolve_format(None, "out.txt", ("table", "json"), default="json") == "json"
