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


def ingest_both(tmp_path, monkeypatch, path, *args, config=None) -> tuple[dict, dict]:
    """The file ingested through the fast path and through the general reader, stores compared."""
    calls = []
    real = analyzer.fastpath.stage_usage_fast

    def counted(*a):
        calls.append(real(*a))
        return calls[-1]

    fast, slow = Spend(tmp_path / "fast.duckdb"), Spend(tmp_path / "slow.duckdb")
    monkeypatch.setattr(analyzer.fastpath, "stage_usage_fast", counted)
    fast("ingest", path, *args, config=config)
    assert calls == [True], "the fast path was not taken"
    monkeypatch.setattr(analyzer.fastpath, "stage_usage_fast", real)
    monkeypatch.setattr(analyzer.fastpath, "applies", lambda *a: False)
    slow("ingest", path, *args, config=config)
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


# ---- OpenAI batch output and Anthropic messages ----------------------------------------------------

def batch_line(n: int, body: dict | None = None, **changes) -> dict:
    """A batch output line whose body is a Chat Completions response (usage replaced by `body`)."""
    line = {"id": f"batch_req_{n}", "custom_id": f"request-{n}",
            "response": {"status_code": 200, "request_id": f"req_{n}",
                         "body": dict(chat_record(f"chatcmpl-{n}", cached=n % 3, reasoning=n % 2), **(body or {}))},
            "error": None}
    return dict(line, **changes)


def usage_of(**usage) -> dict:
    return {"usage": usage}


BATCH_EDGES = [
    batch_line(1), batch_line(2), batch_line(3, metadata={"tenant": "in-body"}), batch_line(4),
    batch_line(5, metadata={"tenant": "acme", "feature": "f"}, user="u5"),
    # Responses API and Embeddings bodies
    batch_line(6, {"object": "response", "created": None, "created_at": 1767225606,
                   "usage": {"input_tokens": 30, "output_tokens": 7,
                             "input_tokens_details": {"cached_tokens": 10},
                             "output_tokens_details": {"reasoning_tokens": 3}}}),
    batch_line(7, {"object": "list", "usage": {"prompt_tokens": 12, "total_tokens": 12}}),
    # failed, expired, HTTP errors, odd status codes
    {"id": "batch_req_8", "custom_id": "request-8", "response": None,
     "error": {"code": "batch_expired", "message": "not run"}},
    batch_line(9, {"error": {"code": "rate_limit_exceeded", "message": "slow down"}}, ),
    dict(batch_line(10), response=dict(batch_line(10)["response"], status_code=500)),
    dict(batch_line(11), response=dict(batch_line(11)["response"], status_code="200")),
    dict(batch_line(12), response=dict(batch_line(12)["response"], status_code=200.0)),
    dict(batch_line(13), error={}),
    {"id": "batch_req_14", "custom_id": "request-14"},
    # identity: the response's request_id, else a hash
    batch_line(15, {"id": None}),
    dict(batch_line(16, {"id": None}), response=dict(batch_line(16, {"id": None})["response"], request_id=None)),
    batch_line(1),  # the same record again: the first copy is kept
    # token counts that are no integers, negative, inconsistent
    batch_line(17, usage_of(prompt_tokens=10.5, completion_tokens=1)),
    batch_line(18, usage_of(prompt_tokens=10, completion_tokens=True)),
    batch_line(19, usage_of(prompt_tokens="12", completion_tokens=1)),
    batch_line(20, usage_of(prompt_tokens=1e30, completion_tokens=1)),
    batch_line(21, usage_of(prompt_tokens=10, completion_tokens=1, prompt_tokens_details={"cached_tokens": "x"})),
    batch_line(22, usage_of(prompt_tokens=-1, completion_tokens=1)),
    batch_line(23, usage_of(prompt_tokens=5, completion_tokens=1, prompt_tokens_details={"cached_tokens": 9})),
    batch_line(24, usage_of(input_tokens=5, output_tokens="many")),
    batch_line(25, {"usage": None}),
    batch_line(26, {"usage": "lots"}),
    # times: ISO text, none (then a top-level created), none at all
    batch_line(27, {"created": "2026-01-02T03:04:05Z"}),
    dict(batch_line(28, {"created": None}), created=1767225628),
    batch_line(29, {"created": None}),
    batch_line(30, {"model": None}),
    batch_line(31, {"model": 5}),
    "not json", '{"id": "batch_req_cut", "custom_id": "r", "response": {"status_', "[1, 2]", "42",
    batch_line(32, {"id": "  "}),
    batch_line(33, {"id": "12345"}),
    batch_line(34, {"id": "ünïcödé"}, metadata={"tenant": "zürich"}),
]


ANTHROPIC = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
             "usage": {"input_tokens": 100, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30,
                       "cache_creation": {"ephemeral_5m_input_tokens": 15, "ephemeral_1h_input_tokens": 5},
                       "output_tokens": 40, "service_tier": "standard", "inference_geo": "us"},
             "created_at": "2026-01-01T00:00:00Z"}


def message(n: int, usage: dict | None = None, **changes) -> dict:
    record = dict(ANTHROPIC, **{"id": f"msg_{n}", **changes})
    if usage is not None:
        record["usage"] = usage
    return record


ANTHROPIC_EDGES = [
    message(1), message(2, metadata={"tenant": "acme", "feature": "f"}, user="u2"), message(3), message(4),
    message(5, {"input_tokens": 10, "output_tokens": 2, "server_tool_use": {"web_search_requests": 3},
                "output_tokens_details": {"thinking_tokens": 1}}),
    message(6, {"input_tokens": 10, "output_tokens": 2}, created_at=None, timestamp=1767225606),
    message(7, created_at=None, created="2026-01-03T00:00:00Z"),
    message(8, created_at=None),  # no time: a reject, or --default-time
    message(9, {"output_tokens": 2}),
    message(10, {"input_tokens": 10.0, "output_tokens": 2}),
    message(11, {"input_tokens": 1e30, "output_tokens": 2}),
    message(12, {"input_tokens": "abc", "output_tokens": 2}),
    message(13, {"input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": True}),
    message(14, {"input_tokens": 10, "output_tokens": 2, "cache_creation_input_tokens": 4,
                 "cache_creation": {"ephemeral_1h_input_tokens": "x"}}),
    message(15, {"input_tokens": 10, "output_tokens": 2, "cache_creation_input_tokens": 4,
                 "cache_creation": {"ephemeral_1h_input_tokens": 9}}),
    message(16, {"input_tokens": -3, "output_tokens": 2}),
    dict(message(17), usage=None), {k: v for k, v in message(18).items() if k != "usage"},
    {k: v for k, v in message(19).items() if k != "id"},
    message(1),  # the same message again
    message(20, model=None), message(21, id=""), message(22, id=99),
    message(23, {"input_tokens": 5000000000000000000, "output_tokens": 5000000000000000000}),
    "not json", '{"id": "msg_cut", "type": "message", "usage": {"input_', "[1]",
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    message(24, metadata={"tenant": {"nested": 1}}, request={"metadata": {"tenant": "r"}}),
]


@pytest.mark.parametrize("gz", [False, True])
def test_batch_output_fast_and_general_paths_store_the_same_rows(tmp_path, monkeypatch, gz):
    path = write_jsonl(tmp_path / ("b.jsonl.gz" if gz else "b.jsonl"), BATCH_EDGES, gz=gz)
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert fast == slow
    reasons = {r[2] for r in fast["rejects"]}
    assert {"batch request failed: batch_expired: not run", "no timestamp", "no model",
            "bad token count: response.body.usage.prompt_tokens",
            "bad token count: response.body.usage.completion_tokens",
            "bad token count: response.body.usage.prompt_tokens_details.cached_tokens",
            "bad token count: response.body.usage.output_tokens"} <= reasons
    usage = {r[0]: r for r in fast["usage"]}
    assert {"chatcmpl-6", "chatcmpl-7", "req_15", "chatcmpl-19", "chatcmpl-27", "chatcmpl-28"} <= set(usage)
    assert usage["chatcmpl-5"][5] == "acme" and usage["chatcmpl-5"][3] == "batch"


@pytest.mark.parametrize("default_time", [[], ["--default-time", "2026-02-01"]])
def test_anthropic_fast_and_general_paths_store_the_same_rows(tmp_path, monkeypatch, default_time):
    path = write_jsonl(tmp_path / "a.jsonl", ANTHROPIC_EDGES)
    fast, slow = ingest_both(tmp_path, monkeypatch, path, *default_time)
    assert fast == slow
    reasons = {r[2] for r in fast["rejects"]}
    assert {"bad token count: usage.input_tokens", "bad token count: usage.cache_read_input_tokens",
            "bad token count: usage.cache_creation.ephemeral_1h_input_tokens", "no usage", "no model",
            "1-hour cache writes exceed cache writes", "negative token count", "not JSON"} <= reasons
    assert ("no timestamp" in reasons) == (not default_time)
    usage = {r[0]: r for r in fast["usage"]}
    assert usage["msg_1"][11:15] == (150, 30, 20, 40) and usage["msg_2"][5] == "acme"


def test_attribution_paths_below_each_root_key_read_alike_on_both_paths(tmp_path, monkeypatch):
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.request.metadata.tenant", "$.metadata.tenant", "$.user"]\n'
                      'feature = ["$.metadata"]\nuser_id = ["$.end_user", "$.user"]\n'
                      'project = ["$.project_id", "$.metadata.project"]\n')
    path = write_jsonl(tmp_path / "a.jsonl", ANTHROPIC_EDGES + [message(30, end_user="e", project_id=7)])
    fast, slow = ingest_both(tmp_path, monkeypatch, path, config=config)
    assert fast == slow
    rows = {r[0]: r for r in fast["usage"]}
    assert (rows["msg_2"][5], rows["msg_24"][5], rows["msg_30"][8], rows["msg_30"][9]) == ("acme", "r", "e", "7")
    assert rows["msg_2"][6] == '{"tenant":"acme","feature":"f"}'


@pytest.mark.parametrize("shape", ["chat", "batch", "anthropic"])
def test_generated_benchmark_data_is_stored_alike_on_both_paths(tmp_path, monkeypatch, shape):
    # The benchmark's own files (benchmarks/generate.py): duplicates, bad lines, failed requests.
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    path = tmp_path / f"{shape}.jsonl"
    written = generate.generate(path, 20_000, seed=3, shape=shape)
    assert written.bad > 5 and written.duplicates > 100
    seen = []
    real = analyzer.fastpath.read_lines
    monkeypatch.setattr(analyzer.fastpath, "read_lines", lambda *a: seen.append(len(a[2])) or real(*a))
    fast, slow = ingest_both(tmp_path, monkeypatch, path)
    assert seen == [written.bad], "only the bad lines are read again from their raw text"
    assert fast == slow
    assert len(fast["rejects"]) == written.bad
    assert len(fast["usage"]) == written.records - written.duplicates
