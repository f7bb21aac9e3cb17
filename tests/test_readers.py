"""Every real record shape in tests/fixtures/formats/ (copies of ../shared/formats/) ingested
through the CLI: exact canonical tokens, attribution, rejects and a priced total per file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import FORMATS, write_card

# USD per 1M tokens: input, output, cached input, cache write (empty = the input rate).
CARD = """
gpt-4o-2024-08-06,,2.50,10.00,1.25,,,,
gpt-3.5-turbo-0125,,0.50,1.50,,,,,
gpt-5.4,,1.25,10.00,0.125,,,,
gpt-4o-mini,,0.15,0.60,0.075,,,,
gpt-4o-mini-2024-07-18,,0.15,0.60,0.075,,,,
Qwen/Qwen2.5-VL-7B-Instruct,,0.20,0.20,,,,,
openai/gpt-oss-120b,,0.15,0.60,0.075,,,,
meta-llama/Llama-3.3-70B-Instruct-Turbo,,0.88,0.88,,,,,
meta-llama/Llama-3.3-70B-Instruct-Turbo-Free,,0,0,,,,,
claude-sonnet-4-5-20250929,,3.00,15.00,0.30,3.75,,,
claude-opus-4-8,,5.00,25.00,0.50,6.25,,,
(all models),,1.00,4.00,0.50,1.25,,,
"""

TOKENS = "requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens"


@pytest.fixture
def priced(spend, tmp_path):
    """The store with the small rate card loaded."""
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", CARD))
    return spend


def ingest(spend, name: str | Path, *args: str, config: Path | None = None):
    path = name if isinstance(name, Path) else FORMATS / name
    return spend.ok("ingest", path, *args, config=config)


def rows(spend, columns: str = TOKENS) -> list[tuple]:
    return [tuple(r.values()) for r in spend.sql(f"SELECT {columns} FROM usage ORDER BY source_file, source_line")]


def total(spend) -> Decimal:
    result = spend.sql("SELECT sum(cost) AS cost, bool_and(priced) AS all_priced FROM priced_usage")[0]
    assert result["all_priced"] is True
    return Decimal(result["cost"])


def rejects(spend) -> list[tuple]:
    return [(r["source_line"], r["reason"]) for r in spend.sql("SELECT source_line, reason FROM rejects ORDER BY 1")]


def test_formats_lists_every_reader(spend):
    out = spend.ok("formats").stdout
    for name in ("openai-chat", "openai-responses", "openai-batch", "together-batch", "together-chat", "vllm-chat",
                 "sglang-chat", "anthropic-messages", "openai-usage", "openai-costs", "litellm", "langfuse",
                 "helicone", "gateway-envelope", "generic-csv", "generic-parquet"):
        assert name in out


# --- OpenAI Chat Completions, streams, Responses, Batch -------------------------------------------

def test_openai_chat_completion_pretty_printed_object(priced):
    out = ingest(priced, "openai_chat_completion_response.json").stdout
    assert "openai-chat: 1 read, 1 new" in out
    assert rows(priced, f"request_id, model, mode, provider, ts, {TOKENS}") == [
        ("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "gpt-4o-2024-08-06", "serverless", "openai",
         "2025-03-10T01:31:23+00:00", 1, 1117, 0, 0, 46, 0)]
    assert total(priced) == Decimal("0.0032525")  # 1117 x 2.50 + 46 x 10.00, per 1M


def test_openai_chat_stream_sse_takes_the_usage_chunk(priced):
    out = ingest(priced, "openai_chat_completion_stream.sse").stdout
    assert "openai-chat: 1 read, 1 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"request_id, source_line, {TOKENS}") == [
        ("chatcmpl-CVFjOTBIgA3kuQLnIXXxtg7Ge7hbs", 5, 1, 10, 0, 0, 5, 0)]
    assert total(priced) == Decimal("0.0000125")


def test_openai_final_chunk_alone(priced):
    ingest(priced, "openai_chat_completion_stream_final_chunk.json")
    assert rows(priced) == [(1, 10, 0, 0, 5, 0)]
    assert total(priced) == Decimal("0.0000125")


def test_stream_without_usage_chunk_is_one_reject_stream_cut(spend, tmp_path):
    text = (FORMATS / "openai_chat_completion_stream.sse").read_text()
    cut = tmp_path / "cut.sse"
    cut.write_text("\n\n".join(text.split("\n\n")[:2]) + "\n\n")  # the two chunks before the usage chunk
    out = spend.ok("ingest", cut).stdout
    assert "1 read, 0 new, 0 duplicates, 1 rejected" in out
    reject = spend.sql("SELECT source_line, reason, raw FROM rejects")[0]
    assert (reject["source_line"], reject["reason"]) == (1, "no usage: stream cut")
    assert reject["raw"].count("chat.completion.chunk") == 2  # every chunk of the stream is kept


def test_openai_responses_object(priced):
    out = ingest(priced, "openai_responses_response.json").stdout
    assert "openai-responses: 1 read, 1 new" in out
    assert rows(priced, f"request_id, model, ts, {TOKENS}") == [
        ("resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b", "gpt-5.4", "2025-03-08T23:29:02+00:00",
         1, 36, 0, 0, 87, 0)]
    assert total(priced) == Decimal("0.000915")


def test_openai_responses_completed_event(priced):
    ingest(priced, "openai_responses_stream_completed.sse")
    assert rows(priced, f"request_id, {TOKENS}") == [
        ("resp_045d5195f1ed9f940068ff5b16458c8197acc79be8346cd880", 1, 13, 0, 0, 12, 0)]
    assert total(priced) == Decimal("0.0000245")


def test_openai_responses_stream_cut(spend, tmp_path):
    created = {"type": "response.created", "sequence_number": 0,
               "response": {"id": "resp_cut", "object": "response", "created_at": 1761565462, "status": "in_progress",
                            "model": "gpt-5.4", "usage": None}}
    delta = {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1", "delta": "Hi"}
    path = tmp_path / "cut.sse"
    path.write_text(f"event: response.created\ndata: {json.dumps(created)}\n\n"
                    f"event: response.output_text.delta\ndata: {json.dumps(delta)}\n\n")
    out = spend.ok("ingest", path).stdout
    assert "openai-responses: 1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(spend) == [(2, "no usage: stream cut")]


def test_openai_batch_output_is_batch_mode_and_priced_at_the_discount(priced):
    out = ingest(priced, "openai_batch_output.jsonl").stdout
    assert "openai-batch: 2 read, 2 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"request_id, mode, {TOKENS}") == [
        ("chatcmpl-123", "batch", 1, 22, 0, 0, 2, 0), ("chatcmpl-abc", "batch", 1, 20, 0, 0, 9, 0)]
    # no batch row: serverless rates x 0.5 -> 42 x 0.25 + 11 x 0.75, per 1M
    assert total(priced) == Decimal("0.00001875")
    attributes = json.loads(priced.sql("SELECT attributes FROM usage ORDER BY source_line")[0]["attributes"])
    assert attributes["custom_id"] == "request-2"


def test_openai_batch_file_twice_under_two_names_adds_nothing(spend, tmp_path):
    copy = tmp_path / "renamed-output.jsonl"
    copy.write_bytes((FORMATS / "openai_batch_output.jsonl").read_bytes() + b"\n")  # other bytes, same records
    ingest(spend, "openai_batch_output.jsonl")
    out = spend.ok("ingest", copy).stdout
    assert "2 read, 0 new, 2 duplicates" in out


def test_openai_batch_errors_are_rejects_with_their_code(spend):
    out = ingest(spend, "openai_batch_error.jsonl").stdout
    assert "openai-batch: 2 read, 0 new, 0 duplicates, 2 rejected" in out
    reasons = dict(rejects(spend))
    assert reasons[1].startswith("batch request failed: batch_expired")
    assert reasons[2].startswith("batch request failed: HTTP 400 integer_below_min_value")


def test_batch_identity_falls_back_to_response_request_id(spend, tmp_path):
    line = {"id": "batch_req_9", "custom_id": "e1", "error": None, "response": {
        "status_code": 200, "request_id": "req_embed_1", "body": {
            "object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8}}}}
    path = tmp_path / "embeddings-batch.jsonl"
    path.write_text(json.dumps(line) + "\n")
    spend.ok("ingest", path, "--default-time", "2026-01-02")
    assert rows(spend, f"request_id, mode, ts, {TOKENS}") == [
        ("req_embed_1", "batch", "2026-01-02T00:00:00+00:00", 1, 8, 0, 0, 0, 0)]


# --- together.ai, vLLM, SGLang --------------------------------------------------------------------

def test_together_chat_completion_free_model_costs_exactly_zero(priced):
    out = ingest(priced, "together_chat_completion.json").stdout
    assert "together-chat: 1 read, 1 new" in out
    assert rows(priced, f"request_id, provider, {TOKENS}") == [
        ("oBUtaEp-62bZhn-9801a2718d0ed123", "together", 1, 49, 0, 0, 34, 0)]
    assert total(priced) == Decimal("0")


def test_together_stream_final_chunk_without_time_needs_default_time(priced, tmp_path):
    out = ingest(priced, "together_chat_stream_final_chunk.json").stdout
    assert "1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(priced) == [(1, "no timestamp")]  # `created: 0` is no time
    # an unchanged file is not read again: the user passes the file again under a new content
    again = tmp_path / "final_chunk.json"
    again.write_text((FORMATS / "together_chat_stream_final_chunk.json").read_text() + "\n")
    out = ingest(priced, again, "--default-time", "2025-09-16T12:00:00Z").stdout
    assert "1 read, 1 new" in out
    assert rows(priced, f"ts, {TOKENS}") == [("2025-09-16T12:00:00+00:00", 1, 45, 0, 0, 11, 0)]
    assert total(priced) == Decimal("0")


def test_together_batch_output(priced):
    out = ingest(priced, "together_batch_output.UNVERIFIED.jsonl").stdout
    assert "together-batch: 2 read, 1 new, 0 duplicates, 1 rejected" in out
    assert rows(priced, f"mode, provider, {TOKENS}") == [("batch", "together", 1, 49, 0, 0, 34, 0)]
    assert rejects(priced) == [(2, "batch request failed: <code>: <message>")]
    assert total(priced) == Decimal("0.00003652")  # 83 x 0.88 x 0.5, per 1M


def test_together_batch_job_object_is_not_usage(spend):
    result = spend("ingest", FORMATS / "together_batch_job.json")
    assert result.exit_code == 1
    assert "format not recognised" in result.stderr
    assert spend.sql("SELECT count(*) AS n FROM usage")[0]["n"] == 0


def test_vllm_completion(priced):
    out = ingest(priced, "vllm_chat_completion.json").stdout
    assert "vllm-chat: 1 read, 1 new" in out
    assert rows(priced, f"provider, mode, {TOKENS}") == [("vllm", "serverless", 1, 77, 0, 0, 61, 0)]
    assert total(priced) == Decimal("0.00004815")


def test_vllm_stream_final_chunk_with_cached_tokens(priced):
    ingest(priced, "vllm_chat_stream_final_chunk.CONSTRUCTED.json")
    assert rows(priced) == [(1, 77, 64, 0, 61, 0)]
    assert total(priced) == Decimal("0.00004335")  # 13 x 0.15 + 64 x 0.075 + 61 x 0.60


def test_vllm_mode_can_be_forced_for_own_gpus(spend):
    ingest(spend, "vllm_chat_completion.json", "--mode", "gpu_cluster")
    assert rows(spend, "mode") == [("gpu_cluster",)]


def test_sglang_metadata_is_engine_info_not_tags(priced, tmp_path):
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.metadata.weight_version"]\n')
    out = ingest(priced, "sglang_chat_completion.json", config=config).stdout
    assert "sglang-chat: 1 read, 1 new" in out
    assert rows(priced, f"provider, tenant, feature, attributes, {TOKENS}") == [
        ("sglang", None, None, None, 1, 307, 0, 0, 64, 0)]
    assert total(priced) == Decimal("0.0000742")


# --- Anthropic -----------------------------------------------------------------------------------

def test_anthropic_message_without_time_is_a_reject_unless_default_time(priced, tmp_path):
    out = ingest(priced, "anthropic_message.json").stdout
    assert "anthropic-messages: 1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(priced) == [(1, "no timestamp")]
    again = tmp_path / "message.json"
    again.write_text((FORMATS / "anthropic_message.json").read_text() + "\n")
    ingest(priced, again, "--default-time", "2026-01-15")
    assert rows(priced, f"request_id, provider, ts, {TOKENS}") == [
        ("msg_01T4jd6NyD9xGGtTPDC4ogy5", "anthropic", "2026-01-15T00:00:00+00:00", 1, 406, 0, 0, 50, 0)]
    assert total(priced) == Decimal("0.001968")  # 406 x 3 + 50 x 15


def test_anthropic_cache_tokens_are_added_to_input(priced, tmp_path):
    message = json.loads((FORMATS / "anthropic_message.json").read_text())
    message["usage"].update(input_tokens=100, cache_read_input_tokens=1000, cache_creation_input_tokens=200,
                            cache_creation={"ephemeral_5m_input_tokens": 150, "ephemeral_1h_input_tokens": 50},
                            output_tokens=20)
    message["created_at"] = "2026-01-15T10:00:00+02:00"  # a log that adds a time: ISO with a zone
    path = tmp_path / "cached.json"
    path.write_text(json.dumps(message, indent=2))
    ingest(priced, path)
    assert rows(priced, f"ts, {TOKENS}") == [("2026-01-15T08:00:00+00:00", 1, 1300, 1000, 200, 20, 0)]
    attributes = json.loads(priced.sql("SELECT attributes FROM usage")[0]["attributes"])
    assert attributes["cache_creation"] == {"ephemeral_5m_input_tokens": 150, "ephemeral_1h_input_tokens": 50}
    # 100 x 3.00 + 1000 x 0.30 + 200 x 3.75 + 20 x 15.00, per 1M
    assert total(priced) == Decimal("0.00165")


def test_anthropic_stream_takes_the_last_cumulative_usage(priced):
    out = ingest(priced, "anthropic_stream_usage_events.sse", "--default-time", "2026-02-01T00:00:00").stdout
    assert "anthropic-messages: 1 read, 1 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"request_id, model, {TOKENS}") == [
        ("msg_fixture_b_0001", "claude-opus-4-8", 1, 31, 0, 0, 547, 0)]  # 547, not message_start's 7
    assert total(priced) == Decimal("0.01383")  # 31 x 5 + 547 x 25


def test_anthropic_stream_cut_before_message_delta(spend, tmp_path):
    text = (FORMATS / "anthropic_stream_usage_events.sse").read_text()
    path = tmp_path / "cut.sse"
    path.write_text(text.split("event: message_delta")[0])
    out = spend.ok("ingest", path, "--default-time", "2026-02-01").stdout
    assert "1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(spend) == [(2, "no usage: stream cut")]


# --- Gateway envelope ----------------------------------------------------------------------------

def test_gateway_envelope_request_attributes_the_response_usage(priced, tmp_path):
    request = json.loads((FORMATS / "openai_chat_completion_request.json").read_text())
    response = json.loads((FORMATS / "openai_chat_completion_response.json").read_text())
    anthropic = json.loads((FORMATS / "anthropic_message.json").read_text())
    path = tmp_path / "gateway.jsonl"
    path.write_text(
        json.dumps({"timestamp": "2026-03-01T09:00:00Z", "request": request, "response": response}) + "\n"
        + json.dumps({"timestamp": 1772355600000, "request": {"user": "u-2", "metadata": {"tenant": "acme"}},
                      "response": anthropic}) + "\n")
    config = tmp_path / "spend.toml"
    config.write_text('[attribution]\ntenant = ["$.request.metadata.tenant", "$.request.metadata.team"]\n')
    out = ingest(priced, path, config=config).stdout
    assert "gateway-envelope: 2 read, 2 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"model, ts, tenant, feature, user_id, provider, {TOKENS}") == [
        ("gpt-4o-2024-08-06", "2025-03-10T01:31:23+00:00", "search", "autocomplete", "user-1234", "openai",
         1, 1117, 0, 0, 46, 0),
        # the bare Anthropic message takes the envelope's time (Unix milliseconds)
        ("claude-sonnet-4-5-20250929", "2026-03-01T09:00:00+00:00", "acme", None, "u-2", "anthropic",
         1, 406, 0, 0, 50, 0),
    ]
    assert total(priced) == Decimal("0.0032525") + Decimal("0.001968")


def test_a_bare_request_is_no_usage(spend):
    out = ingest(spend, "openai_chat_completion_request.json").stdout
    assert "1 read, 0 new, 0 duplicates, 1 rejected" in out
    assert rejects(spend) == [(1, "no usage")]


# --- OpenAI organization Usage API and Costs API ---------------------------------------------------

def test_usage_api_page(priced):
    out = ingest(priced, "openai_usage_completions.json").stdout
    assert "openai-usage: 1 read, 1 new" in out
    assert rows(priced, f"model, mode, ts, {TOKENS}") == [
        ("(all models)", "serverless", "2024-11-01T00:00:00+00:00", 5, 1000, 400, 100, 500, 0)]
    # a page not grouped by model prices with a blended "(all models)" row if the card has one:
    # 500 x 1.00 + 400 x 0.50 + 100 x 1.25 + 500 x 4.00, per 1M
    assert total(priced) == Decimal("0.002825")


def test_usage_api_grouped_result_maps_ids_to_tenants(priced, tmp_path):
    tenants = tmp_path / "tenants.csv"
    tenants.write_text("id,tenant\nproj_other,globex\nkey_abc,acme\n")
    config = tmp_path / "spend.toml"
    config.write_text('[tenant_map]\nfile = "tenants.csv"\n')
    ingest(priced, "openai_usage_completions_result_grouped.json", "--default-time", "2024-11-01", config=config)
    assert rows(priced, f"model, mode, tenant, project, user_id, {TOKENS}") == [
        ("gpt-4o-mini-2024-07-18", "serverless", "acme", "proj_abc", "user-abc", 5, 5000, 1800, 200, 1000, 0)]
    # 3000 x 0.15 + 1800 x 0.075 + 200 x 0.15 (no cache-write rate: input rate) + 1000 x 0.60
    assert total(priced) == Decimal("0.001215")
    attributes = json.loads(priced.sql("SELECT attributes FROM usage")[0]["attributes"])
    assert (attributes["api_key_id"], attributes["project_id"]) == ("key_abc", "proj_abc")


def usage_page(results: list[dict], start: int = 1767225600) -> dict:
    return {"object": "page", "data": [{"object": "bucket", "start_time": start, "end_time": start + 86400,
                                        "results": results}], "has_more": False, "next_page": None}


def test_usage_api_batch_rows_and_both_token_meanings(spend, tmp_path):
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
    out = ingest(spend, path, config=config).stdout
    assert "openai-usage: 2 read, 2 new" in out
    assert rows(spend, f"ts, mode, tenant, {TOKENS}") == [
        ("2026-01-01T00:00:00+00:00", "serverless", "search-team", 5, 5000, 1800, 200, 1000, 0),
        # text-only counts (no input_uncached_tokens): audio and image tokens are added
        ("2025-07-01T00:00:00+00:00", "batch", "search-team", 5, 3000, 1800, 0, 1000, 0),
    ]
    ids = [r["request_id"] for r in spend.sql("SELECT request_id FROM usage ORDER BY ts")]
    assert ids[0] == "usage:organization.usage.completions.result|1751328000|proj_abc|key_abc|user-abc|" \
                     "gpt-4o-mini-2024-07-18|true|default"
    copy = tmp_path / "usage-again.json"
    copy.write_text(json.dumps(page, indent=1))  # the same rows delivered again
    assert "2 read, 0 new, 2 duplicates" in spend.ok("ingest", copy, config=config).stdout


def test_costs_api_goes_to_billed_costs_not_usage(spend):
    out = ingest(spend, "openai_costs.json").stdout
    assert "openai-costs: 1 read, 1 new, 0 duplicates, 0 rejected (billed costs, stored in billed_costs" in out
    assert spend.sql("SELECT count(*) AS n FROM usage")[0]["n"] == 0
    billed = spend.sql("SELECT start_time, amount, currency, line_item FROM billed_costs")
    assert [(b["start_time"], Decimal(b["amount"]), b["currency"], b["line_item"]) for b in billed] == [
        ("2024-11-01T00:00:00+00:00", Decimal("0.06"), "USD", None)]


def test_costs_api_grouped_result(spend):
    ingest(spend, "openai_costs_result_grouped.json", "--default-time", "2024-11-01")
    billed = spend.sql("SELECT amount, currency, line_item, project_id, quantity, quantity_unit FROM billed_costs")
    assert [(Decimal(b["amount"]), b["currency"], b["line_item"], b["project_id"], Decimal(b["quantity"]),
             b["quantity_unit"]) for b in billed] == [
        (Decimal("0.06"), "USD", "input_tokens", "proj_abc", Decimal("10000"), "tokens")]
    reconciliation = spend.sql("SELECT day, project, billed, priced FROM cost_reconciliation")
    assert [(r["day"], r["project"], Decimal(r["billed"]), r["priced"]) for r in reconciliation] == [
        ("2024-11-01", "proj_abc", Decimal("0.06"), None)]


# --- Gateways and observability exports ------------------------------------------------------------

@pytest.mark.parametrize("name", ["litellm_spendlogs.CONSTRUCTED.json", "litellm_spendlogs_table.CONSTRUCTED.csv"])
def test_litellm_spendlogs(priced, name):
    out = ingest(priced, name).stdout
    assert "litellm: 1 read, 1 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"request_id, provider, tenant, user_id, ts, {TOKENS}") == [
        ("chatcmpl-9ZKMURhVYSi9D6r6PJ9vLcayIK0Vm", "openai", "team-search", "palantir",
         "2025-06-10T17:35:10.123000+00:00", 1, 1117, 1024, 0, 46, 0)]
    assert total(priced) == Decimal("0.00011835")  # 93 x 0.15 + 1024 x 0.075 + 46 x 0.60
    attributes = json.loads(priced.sql("SELECT attributes FROM usage")[0]["attributes"])
    assert Decimal(str(attributes["spend"])) == Decimal("0.000318")  # LiteLLM's own figure, for comparison
    assert attributes["request_tags"] == ["jobID:214590dsff09fds", "taskName:run_page_classification"]


def test_litellm_request_tags_attribute(spend, tmp_path):
    record = json.loads((FORMATS / "litellm_spendlogs.CONSTRUCTED.json").read_text())[0]
    record["request_tags"] = ["tenant:acme", "feature:search:v2", "untagged"]
    path = tmp_path / "spendlogs.json"
    path.write_text(json.dumps([record]))
    ingest(spend, path)
    assert rows(spend, "tenant, feature") == [("acme", "search:v2")]


@pytest.mark.parametrize("name", ["langfuse_observation_api.CONSTRUCTED.json",
                                  "langfuse_observations_export.CONSTRUCTED.csv"])
def test_langfuse_observations(priced, name):
    out = ingest(priced, name).stdout
    assert "langfuse: 1 read, 1 new, 0 duplicates, 0 rejected" in out
    assert rows(priced, f"request_id, model, ts, {TOKENS}") == [
        ("7f3a9c1e-5b2d-4a8e-9c61-2f0e8d4b1a77", "gpt-4o-mini-2024-07-18", "2025-06-10T17:35:10.123000+00:00",
         1, 1117, 1024, 0, 46, 0)]
    assert total(priced) == Decimal("0.00011835")
    attributes = json.loads(priced.sql("SELECT attributes FROM usage")[0]["attributes"])
    assert Decimal(str(attributes["total_cost"])) == Decimal("0.0001179")


def test_langfuse_csv_user_and_tags(spend):
    ingest(spend, "langfuse_observations_export.CONSTRUCTED.csv")
    assert rows(spend, "user_id, environment, provider") == [("user-1234", "default", "openai")]


def test_helicone_request_record(priced):
    out = ingest(priced, "helicone_request.CONSTRUCTED.json").stdout
    assert "helicone: 1 read, 1 new" in out
    assert rows(priced, f"request_id, model, provider, environment, user_id, ts, {TOKENS}") == [
        ("chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "gpt-4o-mini", "openai", "production", "user-1234",
         "2025-06-10T17:35:10.123000+00:00", 1, 1117, 1024, 0, 46, 0)]
    assert total(priced) == Decimal("0.00011835")


def test_helicone_export_csv(priced):
    out = ingest(priced, "helicone_export.CONSTRUCTED.csv").stdout
    assert "helicone: 1 read, 1 new" in out
    # the CSV's model cell is empty: the model comes from the (doubly quoted) request body
    assert rows(priced, f"request_id, model, environment, user_id, {TOKENS}") == [
        ("8d9e5c1a-2b3f-4c6d-9e8f-0a1b2c3d4e5f", "gpt-4o-mini", "production", "user-1234", 1, 1117, 0, 0, 46, 0)]
    assert total(priced) == Decimal("0.00019515")  # 1117 x 0.15 + 46 x 0.60
