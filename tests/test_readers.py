"""Readers: the contract every reader query keeps, one case per fixture file, and the few
behaviours one file ingested alone cannot show (config, time defaults, files given twice).

The cases: every file in tests/fixtures/formats/ (real record shapes, see its README.md) is
ingested alone and compared with its generated `*.expected.json` (tests/format_cases.py); after a
change in behaviour, `make regen` rewrites them and prints the diff to review.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analyzer import fastpath
from analyzer.config import Config
from analyzer.files import read_sample
from analyzer.ingest import attribution_params
from analyzer.readers import READERS
from analyzer.readers.contract import CONTRACTS
from analyzer.sqlfiles import query
from analyzer.staging import stage_file
from tests.format_cases import case_files, expected_path, render, run_case
from tests.helpers import FORMATS, REPO, write_card

CASES = case_files()
EXPECTED = {p.name: json.loads(expected_path(p).read_text()) for p in CASES if expected_path(p).exists()}
TOKENS = "requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens"


# --- Cases as data ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", CASES, ids=[p.name for p in CASES])
def test_fixture_gives_its_expected_rows_rejects_and_total(fixture, tmp_path):
    expected = expected_path(fixture)
    assert expected.exists(), f"{expected.name} is missing: run `make regen` and review it"
    assert render(run_case(fixture, tmp_path)) == expected.read_text(encoding="utf-8"), \
        "the store differs from the expected file: run `make regen` to see the diff"


def test_every_reader_has_a_case():
    covered = {case["format"] for case in EXPECTED.values()}
    missing = [r.name for r in READERS if r.name not in covered and r.name != "generic-parquet"]
    assert not missing, f"readers without a fixture in tests/fixtures/formats/: {missing}"


def test_no_expected_file_without_its_fixture():
    orphans = [p.name for p in FORMATS.glob("*.expected.json") if not p.with_name(p.name[:-14]).exists()]
    assert not orphans


# --- The reader contract -----------------------------------------------------------------------------

def reader_queries() -> list[tuple]:
    """(reader, query name, a fixture it reads) for every query of every registered reader."""
    by_format: dict[str, Path] = {}
    for name, case in EXPECTED.items():
        by_format.setdefault(case["format"], FORMATS / name)
    parquet = REPO / "tests" / "fixtures" / "formats_card.csv"  # any file: only the query's columns matter
    cases = []
    for reader in READERS:
        fixture = by_format.get(reader.name, parquet)
        for name in dict.fromkeys(q for q in (reader.query, reader.stream_query, reader.fast_query) if q):
            cases.append(pytest.param(reader, name, fixture, id=f"{reader.name}:{name}"))
    return cases


@pytest.mark.parametrize(("reader", "name", "fixture"), reader_queries())
def test_reader_query_produces_the_contract_columns(reader, name, fixture):
    """DESCRIBE of each reader query gives exactly the contract's columns, names and types."""
    con = duckdb.connect()
    sample = read_sample(fixture)
    stage_file(con, fixture, reader, sample)
    params = dict(reader.query_params(Config()), source_path=str(fixture))
    expected = dict(CONTRACTS[reader.target])
    if name == reader.fast_query:  # a fast reader gives its attribution values as `found` (stage_usage)
        fastpath.parse(con, fixture, reader)
        params = fastpath.fast_params(dict(params, **attribution_params(Config(), reader)), 0)
        expected["found"] = "VARCHAR[]"
    sql = query(name)
    named = set(re.findall(r"\$([a-z_][a-z0-9_]*)", sql))
    described = con.execute("DESCRIBE " + sql, {k: v for k, v in params.items() if k in named}).fetchall()
    assert {column: kind for column, kind, *_ in described} == expected


# --- Registry, README, `formats` ---------------------------------------------------------------------

def readme_formats() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Ingest: formats", 1)[1].split("\n#", 1)[0]
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])
    return names


def test_readme_format_table_and_registry_agree():
    assert sorted(readme_formats()) == sorted(r.name for r in READERS)


def test_formats_lists_every_reader(spend):
    out = spend.ok("formats").stdout
    assert [line.split()[0] for line in out.splitlines()] == [r.name for r in READERS]


# --- Behaviours beyond one file ingested alone -------------------------------------------------------

CARD = (REPO / "tests" / "fixtures" / "formats_card.csv").read_text().split("\n", 1)[1]


@pytest.fixture
def priced(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", CARD))
    return spend


def rows(spend, columns: str = TOKENS) -> list[tuple]:
    return [tuple(r.values()) for r in spend.sql(f"SELECT {columns} FROM usage ORDER BY source_file, source_line")]


def rejects(spend) -> list[tuple]:
    return [(r["source_line"], r["reason"]) for r in spend.sql("SELECT source_line, reason FROM rejects ORDER BY 1")]


def test_a_record_without_time_is_a_reject_unless_default_time(priced, tmp_path):
    out = priced.ok("ingest", FORMATS / "anthropic_message.json").stdout
    assert "anthropic-messages: 1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(priced) == [(1, "no timestamp")]
    again = tmp_path / "message.json"  # an unchanged file is not read again: new content
    again.write_text((FORMATS / "anthropic_message.json").read_text() + "\n")
    priced.ok("ingest", again, "--default-time", "2026-01-15")
    assert rows(priced, f"request_id, ts, {TOKENS}") == [
        ("msg_01T4jd6NyD9xGGtTPDC4ogy5", "2026-01-15T00:00:00+00:00", 1, 406, 0, 0, 50, 0)]


def test_created_zero_is_no_time(spend):
    spend.ok("ingest", FORMATS / "together_chat_stream_final_chunk.json")
    assert rejects(spend) == [(1, "no timestamp")]


def test_a_cut_stream_keeps_every_chunk_in_its_reject(spend):
    spend.ok("ingest", FORMATS / "openai_chat_completion_stream_cut.CONSTRUCTED.sse")
    reject = spend.sql("SELECT source_line, reason, raw FROM rejects")[0]
    assert (reject["source_line"], reject["reason"]) == (1, "no usage: stream cut")
    assert reject["raw"].count("chat.completion.chunk") == 2


def test_batch_file_twice_under_two_names_adds_nothing(spend, tmp_path):
    copy = tmp_path / "renamed-output.jsonl"
    copy.write_bytes((FORMATS / "openai_batch_output.jsonl").read_bytes() + b"\n")  # other bytes, same records
    spend.ok("ingest", FORMATS / "openai_batch_output.jsonl")
    assert "2 read, 0 new, 2 duplicates" in spend.ok("ingest", copy).stdout


def test_vllm_mode_can_be_forced_for_own_gpus(spend):
    spend.ok("ingest", FORMATS / "vllm_chat_completion.json", "--mode", "gpu_cluster")
    assert rows(spend, "mode") == [("gpu_cluster",)]


def test_sglang_metadata_is_engine_info_not_tags(spend, tmp_path):
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.metadata.weight_version"]\n')
    spend.ok("ingest", FORMATS / "sglang_chat_completion.json", config=config)
    assert rows(spend, "provider, tenant, attributes") == [("sglang", None, None)]


def test_gateway_envelope_configured_paths(spend, tmp_path):
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.request.metadata.team", "$.request.metadata.tenant"]\n')
    spend.ok("ingest", FORMATS / "gateway_envelope.CONSTRUCTED.jsonl", config=config)
    assert rows(spend, "tenant, user_id, provider") == [("search", "user-1234", "openai"), ("acme", "u-2", "anthropic")]


def usage_page(results: list[dict], start: int = 1767225600) -> dict:
    return {"object": "page", "data": [{"object": "bucket", "start_time": start, "end_time": start + 86400,
                                        "results": results}], "has_more": False, "next_page": None}


def test_usage_api_batch_rows_both_token_meanings_and_tenant_map(spend, tmp_path):
    grouped = json.loads((FORMATS / "openai_usage_completions_result_grouped.json").read_text())
    old = {k: v for k, v in grouped.items() if k not in ("input_uncached_tokens", "input_cache_write_tokens")}
    old.update(batch=True, input_tokens=2500, input_audio_tokens=300, input_image_tokens=200,
               input_cached_tokens=1500, input_cached_audio_tokens=100, input_cached_image_tokens=200,
               output_tokens=800, output_audio_tokens=100, output_image_tokens=100)
    page = usage_page([grouped])
    page["data"] += usage_page([old], start=1751328000)["data"]  # a bucket from before 2026-07-15
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(page))
    config = tmp_path / "spend.toml"
    config.write_text('[tenant_map.names]\nproj_abc = "search-team"\n')
    assert "openai-usage: 2 read, 2 new" in spend.ok("ingest", path, config=config).stdout
    assert rows(spend, f"ts, mode, tenant, {TOKENS}") == [
        ("2026-01-01T00:00:00+00:00", "serverless", "search-team", 5, 5000, 1800, 200, 1000, 0),
        # text-only counts (no input_uncached_tokens): audio and image tokens are added
        ("2025-07-01T00:00:00+00:00", "batch", "search-team", 5, 3000, 1800, 0, 1000, 0),
    ]
    copy = tmp_path / "usage-again.json"
    copy.write_text(json.dumps(page, indent=1))  # the same rows delivered again
    assert "2 read, 0 new, 2 duplicates" in spend.ok("ingest", copy, config=config).stdout


def test_usage_api_ids_map_to_tenants_from_a_file(priced, tmp_path):
    (tmp_path / "tenants.csv").write_text("id,tenant\nproj_other,globex\nkey_abc,acme\n")
    config = tmp_path / "spend.toml"
    config.write_text('[tenant_map]\nfile = "tenants.csv"\n')
    priced.ok("ingest", FORMATS / "openai_usage_completions_result_grouped.json", "--default-time", "2024-11-01",
              config=config)
    assert rows(priced, "tenant, project") == [("acme", "proj_abc")]


def test_costs_api_reconciles_with_priced_usage(spend):
    spend.ok("ingest", FORMATS / "openai_costs_result_grouped.json", "--default-time", "2024-11-01")
    reconciliation = spend.sql("SELECT day, project, billed, priced FROM cost_reconciliation")
    assert [(r["day"], r["project"], Decimal(r["billed"]), r["priced"]) for r in reconciliation] == [
        ("2024-11-01", "proj_abc", Decimal("0.06"), None)]


def test_litellm_request_tags_attribute(spend, tmp_path):
    record = json.loads((FORMATS / "litellm_spendlogs.CONSTRUCTED.json").read_text())[0]
    record["request_tags"] = ["tenant:acme", "feature:search:v2", "untagged"]
    path = tmp_path / "spendlogs.json"
    path.write_text(json.dumps([record]))
    spend.ok("ingest", path)
    assert rows(spend, "tenant, feature") == [("acme", "search:v2")]


# --- Token counts must be integers, in every reader -------------------------------------------------

def mutated(path: Path, keys: list, value) -> str:
    """The fixture's JSON (one document, or the first line of JSON Lines) with one value replaced."""
    text = path.read_text()
    lines = text.splitlines() if path.suffix == ".jsonl" else [text]
    record = json.loads(lines[0])
    target = record
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    lines[0] = json.dumps(record)
    return "\n".join(lines) + "\n"


BAD_COUNTS = [  # fixture, where the count is, a value that is no integer, the field the reject names
    ("litellm_spendlogs.CONSTRUCTED.json", [0, "prompt_tokens"], 100.7, "prompt_tokens"),
    ("litellm_spendlogs.CONSTRUCTED.json", [0, "completion_tokens"], True, "completion_tokens"),
    ("langfuse_observation_api.CONSTRUCTED.json", ["usageDetails", "input"], "abc", "usageDetails.input"),
    ("langfuse_observation_api.CONSTRUCTED.json", ["usageDetails", "output"], 1e30, "usageDetails.output"),
    ("helicone_request.CONSTRUCTED.json", ["prompt_tokens"], "1e3", "prompt_tokens"),
    ("helicone_request.CONSTRUCTED.json", ["prompt_cache_read_tokens"], 100.7, "prompt_cache_read_tokens"),
    ("openai_usage_completions_result_grouped.json", ["input_cached_tokens"], 1e30, "input_cached_tokens"),
    ("openai_usage_completions_result_grouped.json", ["num_model_requests"], 2.5, "num_model_requests"),
    ("openai_responses_response.json", ["usage", "input_tokens_details", "cached_tokens"], "1e3",
     "usage.input_tokens_details.cached_tokens"),
    ("openai_responses_response.json", ["usage", "output_tokens"], 5000000000000000000, "usage.output_tokens"),
    ("openai_batch_output.jsonl", ["response", "body", "usage", "completion_tokens"], 100.7,
     "response.body.usage.completion_tokens"),
    ("gateway_envelope.CONSTRUCTED.jsonl", ["response", "usage", "completion_tokens"], "abc",
     "response.usage.completion_tokens"),
    ("together_chat_completion.json", ["usage", "cached_tokens"], True, "usage.cached_tokens"),
    ("sglang_chat_completion.json", ["usage", "reasoning_tokens"], 1e30, "usage.reasoning_tokens"),
    ("vllm_chat_completion.json", ["usage", "prompt_tokens"], 77.5, "usage.prompt_tokens"),
]


@pytest.mark.parametrize(("name", "keys", "value", "field"), BAD_COUNTS,
                         ids=[f"{n.split('.')[0]}:{f}={v!r}" for n, _, v, f in BAD_COUNTS])
def test_a_count_that_is_no_integer_is_a_reject_naming_its_field(spend, tmp_path, name, keys, value, field):
    path = tmp_path / name
    path.write_text(mutated(FORMATS / name, keys, value))
    spend.ok("ingest", path, "--default-time", "2026-01-15")
    assert (1, f"bad token count: {field}") in rejects(spend)
    assert spend.sql("SELECT count(*) AS n FROM usage WHERE source_line = 1")[0]["n"] == 0


@pytest.mark.parametrize(("name", "old", "new", "field"), [
    ("anthropic_stream_usage_events.sse", '"output_tokens":547', '"output_tokens":547.5', "usage.output_tokens"),
    ("litellm_spendlogs_table.CONSTRUCTED.csv", ",1163,1117,46,", ",1163,1117.0,46,", "prompt_tokens"),
])
def test_a_count_that_is_no_integer_in_a_stream_or_csv(spend, tmp_path, name, old, new, field):
    text = (FORMATS / name).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    spend.ok("ingest", path, "--default-time", "2026-01-15")
    assert [reason for _, reason in rejects(spend)] == [f"bad token count: {field}"]


def test_generic_csv_count_that_is_no_integer_names_the_column(spend, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("request_id,ts,model,input_tokens,output_tokens\n"
                    "r1,2026-01-01T00:00:00Z,m,100,10\nr2,2026-01-01T00:00:00Z,m,12.5,10\nr3,2026-01-01T00:00:00Z,m,abc,1\n")
    spend.ok("ingest", path)
    assert rejects(spend) == [(3, "bad token count: input_tokens"), (4, "bad token count: input_tokens")]
    assert rows(spend, "request_id, input_tokens") == [("r1", 100)]


# --- Cache writes in Chat Completions usage, in every chat-shaped reader ----------------------------

CHAT_SHAPED = [  # fixture, where its usage object is
    ("openai_chat_completion_response.json", ["usage"]),
    ("together_chat_completion.json", ["usage"]),
    ("vllm_chat_completion.json", ["usage"]),
    ("sglang_chat_completion.json", ["usage"]),
    ("openai_batch_output.jsonl", ["response", "body", "usage"]),
    ("gateway_envelope.CONSTRUCTED.jsonl", ["response", "usage"]),
]


@pytest.mark.parametrize(("name", "keys"), CHAT_SHAPED, ids=[n for n, _ in CHAT_SHAPED])
def test_chat_cache_writes_are_read_as_part_of_prompt_tokens(spend, tmp_path, name, keys):
    record = json.loads((FORMATS / name).read_text().splitlines()[0] if name.endswith(".jsonl")
                        else (FORMATS / name).read_text())
    usage = record
    for key in keys:
        usage = usage[key]
    usage["prompt_tokens_details"] = dict(usage.get("prompt_tokens_details") or {}, cached_tokens=5, cache_write_tokens=7)
    path = tmp_path / name
    path.write_text(json.dumps(record) + "\n")
    spend.ok("ingest", path, "--default-time", "2026-01-15")
    assert rows(spend, "input_tokens, cached_input_tokens, cache_write_tokens") == [(usage["prompt_tokens"], 5, 7)]


def test_claude_code_session_copied_into_a_resumed_session_adds_nothing(spend, tmp_path):
    project = tmp_path / ".claude" / "projects" / "-home-dev-src-acme-api"
    project.mkdir(parents=True)
    text = (FORMATS / "claude_code_session.CONSTRUCTED.jsonl").read_text()
    (project / "first.jsonl").write_text(text)
    more = '{"type":"user","sessionId":"s2","uuid":"u9","message":{"role":"user","content":"more"}}\n'
    (project / "resumed.jsonl").write_text(text + more)
    out = spend.ok("ingest", tmp_path / ".claude" / "projects").stdout
    assert "first.jsonl: claude-code: 3 read, 3 new" in out and "resumed.jsonl: claude-code: 3 read, 0 new, 3 duplicates" in out


# --- The parts a bill counts: never more than their total ---------------------------------------------

@pytest.mark.parametrize(("name", "keys", "value", "reason"), [
    ("anthropic_message_cache.CONSTRUCTED.json", ["usage", "cache_creation", "ephemeral_1h_input_tokens"], 201,
     "1-hour cache writes exceed cache writes"),
    ("openai_chat_completion_response.json", ["usage", "prompt_tokens_details", "audio_tokens"], 1118,
     "audio and image tokens exceed uncached input tokens"),
    ("openai_chat_completion_response.json", ["usage", "completion_tokens_details", "audio_tokens"], 47,
     "audio and image tokens exceed output tokens"),
])
def test_a_part_larger_than_its_total_is_a_reject(spend, tmp_path, name, keys, value, reason):
    path = tmp_path / name
    path.write_text(mutated(FORMATS / name, keys, value))
    spend.ok("ingest", path, "--default-time", "2026-01-15")
    assert rejects(spend) == [(1, reason)]
