"""File layouts (JSON documents, SSE, CSV, Parquet, stdin), timestamps, generic tables with a
column mapping, the tenant map and --format, through the CLI."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from tests.helpers import FORMATS, chat_record, write_card, write_jsonl

TOKENS = "requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens"


def rows(spend, columns: str) -> list[tuple]:
    return [tuple(r.values()) for r in spend.sql(f"SELECT {columns} FROM usage ORDER BY source_file, source_line")]


def rejects(spend) -> list[tuple]:
    return [(r["source_line"], r["reason"]) for r in spend.sql("SELECT source_line, reason FROM rejects ORDER BY 1")]


def test_json_array_document_numbers_its_elements(spend, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([chat_record("a"), "not an object", chat_record("b", prompt=7)], indent=2))
    out = spend.ok("ingest", path).stdout
    assert "openai-chat: 3 read, 2 new, 0 duplicates, 1 rejected" in out
    assert rows(spend, "request_id, source_line, input_tokens") == [("a", 1, 1000), ("b", 3, 7)]
    assert rejects(spend) == [(2, "not a JSON object")]


def test_json_lines_of_pages(spend, tmp_path):
    page = json.loads((FORMATS / "openai_usage_completions.json").read_text())
    later = json.loads(json.dumps(page))
    later["data"][0]["start_time"] += 86400
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps(page) + "\n" + json.dumps(later) + "\n")
    out = spend.ok("ingest", path).stdout
    assert "openai-usage: 2 read, 2 new" in out
    assert rows(spend, "source_line, ts") == [(1, "2024-11-01T00:00:00+00:00"), (2, "2024-11-02T00:00:00+00:00")]


def test_truncated_json_document_is_one_reject_with_its_text_and_fails_the_file(spend, tmp_path):
    text = (FORMATS / "openai_responses_response.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    result = spend("ingest", path, "--format", "openai-responses")
    assert result.exit_code == 1 and result.stderr == f"error: {path.resolve()}: not a valid JSON document\n"
    assert spend.sql("SELECT count(*) AS n FROM ingested_files")[0]["n"] == 0  # tried again next run
    reject = spend.sql("SELECT source_line, reason, raw FROM rejects")[0]
    assert (reject["source_line"], reject["reason"], reject["raw"]) == (1, "not a valid JSON document", text[: len(text) // 2])


def test_sse_multi_line_data_comments_and_garbage(spend, tmp_path):
    chunk = json.loads((FORMATS / "openai_chat_completion_stream_final_chunk.json").read_text())
    other = dict(chunk, id="chatcmpl-two")
    split = json.dumps(other, indent=1).splitlines()
    path = tmp_path / "capture.sse"
    path.write_text(": keep-alive comment\n\n"
                    f"data: {json.dumps(chunk)}\n\n"
                    + "".join(f"data: {line}\n" for line in split) + "\n"
                    "garbage line\n\n"
                    "data: [DONE]\n\n")
    out = spend.ok("ingest", path).stdout
    assert "openai-chat: 3 read, 2 new, 0 duplicates, 1 rejected" in out
    assert rows(spend, "request_id, source_line, input_tokens") == [
        ("chatcmpl-CVFjOTBIgA3kuQLnIXXxtg7Ge7hbs", 3, 10), ("chatcmpl-two", 5, 10)]
    reject = rejects(spend)[0]
    assert reject[1] == "not JSON" and reject[0] == 5 + len(split) + 1


def test_format_forces_a_reader(spend, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [chat_record("a", metadata={"weight_version": "default"})])
    out = spend.ok("ingest", "--format", "sglang-chat", path).stdout
    assert "sglang-chat: 1 read, 1 new" in out
    assert rows(spend, "provider, attributes") == [("sglang", None)]
    result = spend("ingest", "--format", "nope", path)
    assert result.exit_code != 0 and "unknown format 'nope'" in result.stderr


def test_stdin_detects_a_pretty_printed_document(spend):
    text = (FORMATS / "anthropic_message.json").read_text()
    out = spend.ok("ingest", "-", "--default-time", "2026-01-15T00:00:00+00:00", input=text).stdout
    assert "<stdin>: anthropic-messages: 1 read, 1 new" in out
    assert rows(spend, f"model, {TOKENS}") == [("claude-sonnet-4-5-20250929", 1, 406, 0, 0, 50, 0)]


def test_stdin_gzip_sse(spend, tmp_path):
    data = gzip.compress((FORMATS / "openai_responses_stream_completed.sse").read_bytes())
    spend.runner = type(spend.runner)()  # a fresh runner, bytes input
    result = spend.runner.invoke(__import__("analyzer.cli", fromlist=["cli"]).cli,
                                 ["--db", str(spend.db), "ingest", "-"], input=data, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "openai-responses: 1 read, 1 new" in result.stdout


def test_bad_default_time_is_a_usage_error(spend, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [chat_record("a")])
    result = spend("ingest", path, "--default-time", "yesterday")
    assert result.exit_code == 2
    assert "--default-time 'yesterday' is not an ISO 8601" in result.stderr


def test_generic_csv_timestamps_and_column_mapping(spend, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(
        "when,llm,tokens_in,tokens_cached,tokens_out,customer,kind\n"
        "1767225600,m,1000,100,10,acme,\n"             # Unix seconds
        "1767225600123,m,1000,0,10,acme,batch\n"      # milliseconds
        "2026-01-01T02:00:00+02:00,m,1000,0,10,globex,\n"  # ISO with a zone
        "2026-01-01 00:00:00.5,m,1000,0,10,,\n"       # ISO without zone: UTC
        "not a time,m,1000,0,10,,\n"
        "2026-01-01,m,1,2,3,x,weekly\n"
        "1,2\n")
    config = tmp_path / "spend.toml"
    config.write_text('[columns]\nts = ["when"]\nmodel = "llm"\ninput_tokens = "tokens_in"\n'
                      'cached_input_tokens = "tokens_cached"\noutput_tokens = "tokens_out"\nmode = "kind"\n'
                      '[attribution]\ntenant = ["customer"]\n')
    out = spend.ok("ingest", path, config=config).stdout
    assert "generic-csv: 7 read, 4 new, 0 duplicates, 3 rejected" in out
    assert rows(spend, f"source_line, ts, mode, tenant, {TOKENS}") == [
        (2, "2026-01-01T00:00:00+00:00", "serverless", "acme", 1, 1000, 100, 0, 10, 0),
        (3, "2026-01-01T00:00:00.123000+00:00", "batch", "acme", 1, 1000, 0, 0, 10, 0),
        (4, "2026-01-01T00:00:00+00:00", "serverless", "globex", 1, 1000, 0, 0, 10, 0),
        (5, "2026-01-01T00:00:00.500000+00:00", "serverless", None, 1, 1000, 0, 0, 10, 0),
    ]
    reasons = rejects(spend)
    assert reasons[0] == (6, "no timestamp")
    assert reasons[1] == (7, "unknown mode weekly")
    assert reasons[2][0] == 8 and reasons[2][1].startswith("malformed CSV row")


def test_generic_parquet_gzipped_and_damaged(spend, tmp_path):
    table = pa.table({"request_id": ["p1", "p2"], "timestamp": ["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"],
                      "model": ["m", "m"], "prompt_tokens": pa.array([100, 200], pa.int64()),
                      "completion_tokens": pa.array([1, 2], pa.int64()), "team": ["a", "b"]})
    path = tmp_path / "usage.parquet"
    pq.write_table(table, path)
    gz = tmp_path / "more.parquet.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    (tmp_path / "broken.parquet").write_bytes(path.read_bytes()[:40] + b"PAR1")
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    result = spend("ingest", path, gz, tmp_path / "broken.parquet")
    out = result.stdout
    assert "usage.parquet: generic-parquet: 2 read, 2 new" in out
    assert "more.parquet.gz: generic-parquet: 2 read, 0 new, 2 duplicates" in out
    # a file that is not Parquet at all fails (exit 1, tried again next run); the others are stored
    assert result.exit_code == 1 and "broken.parquet" not in out
    assert result.stderr.startswith(f"error: {(tmp_path / 'broken.parquet').resolve()}: not a readable Parquet file")
    assert rows(spend, f"request_id, ts, {TOKENS}") == [
        ("p1", "2026-02-01T00:00:00+00:00", 1, 100, 0, 0, 1, 0), ("p2", "2026-02-02T00:00:00+00:00", 1, 200, 0, 0, 2, 0)]
    assert Decimal(spend.sql("SELECT sum(cost) AS c FROM priced_usage")[0]["c"]) == Decimal("0.000306")
    assert rejects(spend)[0][1].startswith("not a readable Parquet file")


def test_tenant_map_inline_and_config_paths_win(spend, tmp_path):
    records = [dict(chat_record("a"), api_key_id="key_1"), dict(chat_record("b", metadata={"tenant": "explicit"}),
                                                                 api_key_id="key_1"),
               dict(chat_record("c"), project_id="proj_9")]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    config = tmp_path / "spend.toml"
    config.write_text('[tenant_map.names]\nkey_1 = "acme"\nproj_9 = "globex"\n')
    spend.ok("ingest", path, config=config)
    assert rows(spend, "request_id, tenant") == [("a", "acme"), ("b", "explicit"), ("c", "globex")]


def test_bad_tenant_map_file_is_one_clear_error(spend, tmp_path):
    (tmp_path / "t.csv").write_text("key,name\nk,v\n")
    config = tmp_path / "spend.toml"
    config.write_text('[tenant_map]\nfile = "t.csv"\n')
    result = spend("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("a")]), config=config)
    assert result.exit_code == 1
    assert "needs the columns id,tenant" in result.stderr


def test_chat_created_in_seconds_or_milliseconds(spend, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [
        chat_record("s", created=1767225600), chat_record("ms", created=1767225600250),
        dict(chat_record("fraction"), created=1767225600.5), chat_record("zero", created=0)])
    out = spend.ok("ingest", path).stdout
    assert "4 read, 3 new, 0 duplicates, 1 rejected" in out
    assert rows(spend, "request_id, ts") == [
        ("s", "2026-01-01T00:00:00+00:00"), ("ms", "2026-01-01T00:00:00.250000+00:00"),
        ("fraction", "2026-01-01T00:00:00.500000+00:00")]
    assert rejects(spend) == [(4, "no timestamp")]


def test_an_empty_file_is_read_as_nothing(spend, tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    write_jsonl(tmp_path / "blank.jsonl.gz", ["", "   "], gz=True)
    out = spend.ok("ingest", tmp_path / "empty.jsonl", tmp_path / "blank.jsonl.gz").stdout
    assert "empty.jsonl: openai-chat: 0 read, 0 new, 0 duplicates, 0 rejected" in out
    assert "blank.jsonl.gz: openai-chat: 0 read, 0 new, 0 duplicates, 0 rejected" in out


def test_large_pretty_printed_array_is_detected_from_its_first_elements(spend, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps([chat_record(f"r{i}", prompt=i) for i in range(1500)], indent=2))
    assert path.stat().st_size > 256 * 1024  # more than the detection sample
    out = spend.ok("ingest", path).stdout
    assert "openai-chat: 1,500 read, 1,500 new, 0 duplicates, 0 rejected" in out
    assert spend.sql("SELECT sum(input_tokens) AS n FROM usage")[0]["n"] == sum(range(1500))


def test_costs_page_with_a_line_that_is_not_utf8(spend, tmp_path):
    """Costs pages go through the same staging as usage: the bad line is a reject, the page is stored."""
    page = ('{"object":"page","data":[{"object":"bucket","start_time":1730419200,"end_time":1730505600,'
            '"results":[{"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"}}]}]}\n')
    path = tmp_path / "costs.jsonl"
    path.write_bytes(page.encode() + b"\xff bad\n")
    spend.ok("ingest", "--format", "openai-costs", path)
    assert [(r["source_line"], r["reason"]) for r in spend.sql("SELECT source_line, reason FROM rejects")] == [(2, "not UTF-8")]
    assert [r["amount"] for r in spend.sql("SELECT amount FROM billed_costs")] == ["0.06"]
