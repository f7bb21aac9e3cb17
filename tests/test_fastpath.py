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
