"""The fast path (parallel read_json) stores exactly what the general path stores."""

from __future__ import annotations

import json

import pytest

import analyzer.fastpath
from analyzer.store import open_store
from tests.helpers import FORMATS, REPO, Spend, chat_record, write_jsonl

TRICKY = [
    chat_record("a", metadata={"tenant": "acme", "feature": "chat", "environment": "prod"}, user="u1", cached=10),
    chat_record("b", prompt=50, completion=20, reasoning=5, metadata={"tenant": "=x"}),
    "not json at all",
    '{"id": "cut", "created": 1767225600, "model": "m", "usage": {"prompt_tok',
    "[1, 2]",
    {"id": "nousage", "object": "chat.completion", "created": 1767225600, "model": "m", "usage": None},
    {"object": "chat.completion", "created": 1767225600, "model": "m", "usage": {"prompt_tokens": 3, "completion_tokens": 4}},
    chat_record("neg", prompt=-1),
    chat_record("cache", prompt=10, cached=20),
    chat_record("a", prompt=999),  # repeated id within the file: the first one wins
    {"id": "together", "created": 1767225601, "model": "m",
     "usage": {"prompt_tokens": 9, "completion_tokens": 1, "cached_tokens": 4}},
    {"id": "str", "created": "1767225602", "model": "m", "usage": {"prompt_tokens": "12", "completion_tokens": 2}},
    {"id": "req", "created": 1767225603, "model": "m", "request": {"metadata": {"tenant": "via-request"}, "user": "ru"},
     "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
    chat_record("late", created=99_999_999_999),
    chat_record("ünïcödé", metadata={"tenant": "zürich"}),
    {"id": "huge", "created": 1767225600, "model": "m", "usage": {"prompt_tokens": 1e30, "completion_tokens": 5}},
    {"id": "text", "created": 1767225600, "model": "m", "usage": {"prompt_tokens": "many", "completion_tokens": 5}},
    {"id": "one-sided", "created": 1767225600, "model": "m", "usage": {"completion_tokens": 5}},
]


def stored(db) -> dict:
    with open_store(db, read_only=True) as con:
        usage = con.execute("SELECT * EXCLUDE (run_id) FROM usage ORDER BY source_line").fetchall()
        rejects = con.execute("SELECT * EXCLUDE (run_id) FROM rejects ORDER BY source_line").fetchall()
    return {"usage": usage, "rejects": rejects}


def ingest_both(tmp_path, monkeypatch, path) -> tuple[dict, dict]:
    calls = []
    real = analyzer.fastpath.stage_usage_fast

    def counted(*args):
        calls.append(1)
        return real(*args)

    fast, slow = Spend(tmp_path / "fast.duckdb"), Spend(tmp_path / "slow.duckdb")
    monkeypatch.setattr(analyzer.fastpath, "stage_usage_fast", counted)
    fast.ok("ingest", path)
    assert calls, "the fast path was not taken"
    monkeypatch.setattr(analyzer.fastpath, "applies", lambda *a: False)
    slow.ok("ingest", path)
    return stored(fast.db), stored(slow.db)


@pytest.mark.parametrize("gz", [False, True])
def test_fast_and_general_paths_store_the_same_rows(tmp_path, monkeypatch, gz):
    path = write_jsonl(tmp_path / ("t.jsonl.gz" if gz else "t.jsonl"), TRICKY, gz=gz)
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert fast == slow
    assert len(fast["usage"]) == 8 and len(fast["rejects"]) == 9  # "a" twice: the first is kept
    assert [r[2] for r in fast["rejects"]][-2:] == ["bad token count: usage.prompt_tokens"] * 2


def test_fast_and_general_paths_agree_on_the_sample(tmp_path, monkeypatch):
    path = REPO / "sample_logs" / "exports" / "2026-09" / "openai-export-2026-09.jsonl.gz"
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert fast == slow and len(fast["usage"]) > 4000


def test_blank_lines_take_the_general_path_and_keep_line_numbers(spend, tmp_path, monkeypatch):
    path = tmp_path / "blank.jsonl"
    path.write_text(json.dumps(chat_record("x")) + "\n\n" + json.dumps(chat_record("y")) + "\n")
    spend.ok("ingest", path)
    assert [r["source_line"] for r in spend.sql("SELECT source_line FROM usage ORDER BY 1")] == [1, 3]


def test_fast_and_general_paths_agree_on_counts_that_are_no_integers(tmp_path, monkeypatch):
    path = FORMATS / "openai_chat_bad_token_counts.CONSTRUCTED.jsonl"
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert fast == slow
    assert len(fast["usage"]) == 2 and len(fast["rejects"]) == 12
    assert {r[2] for r in fast["rejects"]} >= {"bad token count: usage.prompt_tokens",
                                              "bad token count: usage.completion_tokens",
                                              "bad token count: usage.prompt_tokens_details.cache_write_tokens"}


def test_fast_and_general_paths_agree_on_cache_writes(tmp_path, monkeypatch):
    fast, slow = ingest_both(tmp_path, monkeypatch, FORMATS / "openrouter_chat_cache_write.CONSTRUCTED.jsonl")
    assert fast == slow
    assert [(r[11], r[12], r[13]) for r in fast["usage"]] == [(10339, 0, 10318), (10412, 10318, 0)]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_read_lines_finds_every_line_through_the_index(tmp_path, ending):
    # Lines of many lengths, some longer than an index granule, so that lines start and end on
    # both sides of granule boundaries; one line is not UTF-8; the last line has no line end.
    import random

    from analyzer.staging import INDEX_STEP, UNREADABLE_MARK, read_lines, scan_file

    rng = random.Random(7)
    lines = [("x" * rng.choice([0, 1, 50, 700, INDEX_STEP - 1, INDEX_STEP, 3 * INDEX_STEP + 5])).encode()
             + str(i).encode() for i in range(400)]
    lines[123] = b"bad \xff byte"
    path = tmp_path / "lines.jsonl"
    path.write_bytes(ending.join(lines))
    scan = scan_file(path)
    assert scan.simple_lines and scan.lines == len(lines) and scan.line_index is not None
    numbers = list(range(1, len(lines) + 1))
    expected = [line.decode() if i != 123 else UNREADABLE_MARK + "bad \ufffd byte" for i, line in enumerate(lines)]
    assert read_lines(path, scan, numbers) == expected
    assert read_lines(path, scan, [2, 124, 400]) == [expected[1], expected[123], expected[399]]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_fast_path_reads_raw_lines_at_their_offsets_in_a_large_file(tmp_path, monkeypatch, ending):
    # Tricky lines spread through a file of several index granules: their rejects and rows
    # are the same as the general path's, which numbers every line itself.
    records = []
    for i in range(3000):
        records.append(json.dumps(chat_record(f"r{i}", created=1767225600 + i,
                                              metadata={"tenant": f"t{i % 7}", "note": "p" * (i % 90)})))
        if i % 250 == 17:
            item = TRICKY[(i // 250) % len(TRICKY)]
            records.append(item if isinstance(item, str) else json.dumps(item))
    path = tmp_path / "large.jsonl"
    path.write_bytes((ending.join(records) + ending).encode())
    seen = []
    real = analyzer.fastpath.read_lines
    monkeypatch.setattr(analyzer.fastpath, "read_lines", lambda *a: seen.append(len(a[2])) or real(*a))
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert seen and seen[0] >= 5, "the raw lines were not read at their offsets"
    assert fast == slow
    assert len(fast["rejects"]) >= 5 and len(fast["usage"]) > 3000
