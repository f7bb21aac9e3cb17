"""Command-line behaviour: help, one-line errors with the exit codes of docs/exit-codes.md, stdin, quiet runs."""

from __future__ import annotations

import json

from tests.helpers import chat_record, llm_spend_process, write_jsonl


def test_help_lists_the_commands(spend):
    out = spend.ok("--help").stdout
    for command in ("ingest", "rates", "report", "sql", "estimate", "status", "formats"):
        assert command in out


def test_missing_input_is_one_line_exit_1(spend, tmp_path):
    result = spend("ingest", tmp_path / "nope.jsonl")
    assert result.exit_code == 1
    assert result.stderr == f"error: no such file or folder: {tmp_path / 'nope.jsonl'}\n"


def test_bad_flag_is_one_line_exit_2(spend):
    result = spend("ingest", "--colour", "x.jsonl")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "No such option '--colour'" in result.stderr


def test_unknown_format_name_is_exit_1(spend, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [chat_record("a")])
    result = spend("ingest", "--format", "nonsense", path)
    assert result.exit_code == 1
    assert "unknown format 'nonsense'; known formats:" in result.stderr


def test_undetectable_file_is_one_error_naming_the_formats_tried(spend, tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [chat_record("a")])
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"hello": "world"}\n')
    result = spend("ingest", good, odd)
    assert result.exit_code == 1
    assert "format not recognised (tried " in result.stderr and "openai-chat, " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # the good file is still stored, the odd one is recorded as a file-level reject
    assert spend.sql("SELECT count(*) AS n FROM usage")[0]["n"] == 1
    assert spend.sql("SELECT source_line FROM rejects")[0]["source_line"] is None


def test_ingest_reads_standard_input(spend, tmp_path):
    lines = "".join(json.dumps(chat_record(f"r{i}")) + "\n" for i in range(3))
    result = spend.ok("ingest", "-", input=lines)
    assert "3 new rows" in result.stdout
    assert spend.sql("SELECT DISTINCT source_file FROM usage")[0]["source_file"] == "<stdin>"


def test_each_reject_reason(spend, tmp_path):
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        chat_record("ok"),
        "this is not json",
        '{"id": "cut", "created": 1767225600, "model": "m", "usage": {"prompt_tok',
        "[1, 2, 3]",
        {"id": "chunk", "object": "chat.completion.chunk", "created": 1767225600, "model": "m", "usage": None},
        {"id": "no-time", "object": "chat.completion", "model": "m", "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
        {"id": "no-model", "object": "chat.completion", "created": 1767225600,
         "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
        chat_record("neg", prompt=-5),
        chat_record("cache", prompt=10, cached=20),
        chat_record("think", completion=10, reasoning=20),
        "",
        chat_record("ok2"),
        chat_record("future", created=99_999_999_999),
        chat_record("huge", prompt=2_000_000_000_000),
    ])
    result = spend.ok("ingest", path)
    assert "13 read, 2 new, 0 duplicates, 11 rejected" in result.stdout  # the blank line is not a record
    rejects = spend.sql("SELECT source_line, reason FROM rejects ORDER BY source_line")
    assert [(r["source_line"], r["reason"]) for r in rejects] == [
        (2, "not JSON"), (3, "not JSON"), (4, "not a JSON object"), (5, "no usage: stream cut"), (6, "no timestamp"),
        (7, "no model"), (8, "negative token count"), (9, "cached tokens exceed input tokens"),
        (10, "reasoning tokens exceed output tokens"), (13, "timestamp out of range"),
        (14, "bad token count: usage.prompt_tokens"),  # one count over 10^12 (a sum over it: out of range)
    ]
    assert [r["source_line"] for r in spend.sql("SELECT source_line FROM usage ORDER BY 1")] == [1, 12]
    raw = spend.sql("SELECT raw FROM rejects WHERE source_line = 2")[0]["raw"]
    assert raw == "this is not json"


def test_quiet_prints_nothing_on_success(spend, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [chat_record("a")])
    result = spend.ok("ingest", "--quiet", path)
    assert result.stdout == "" and result.stderr == ""


def test_locked_store_is_exit_75(db, tmp_path):
    """A real second process holding the store: the CLI waits for nothing and says so in one line."""
    import duckdb

    holder = duckdb.connect(str(db))
    try:
        path = write_jsonl(tmp_path / "a.jsonl", [chat_record("a")])
        proc = llm_spend_process("--db", str(db), "ingest", str(path))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 75, err
        assert err.startswith("error: store is busy: another llm-spend process")
        assert err.count("\n") == 1
    finally:
        holder.close()
