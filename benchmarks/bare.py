"""The floor llm-spend builds on: the same jobs done by bare DuckDB, with nothing around them.

    python benchmarks/bare.py ingest FLOOR.duckdb usage.jsonl
        DuckDB's parallel `read_json` with explicit columns, one INSERT into a table with the
        columns of llm-spend's `usage` (no line numbers, no dedupe, no rejects, no manifest).
    python benchmarks/bare.py ingest-batch FLOOR.duckdb batch.jsonl
    python benchmarks/bare.py ingest-anthropic FLOOR.duckdb messages.jsonl
        The same for OpenAI Batch output lines (usage under response.body) and Anthropic
        messages (canonical input = input + cache reads + cache writes), as llm-spend reads them.
    python benchmarks/bare.py report STORE.duckdb out.csv
        On llm-spend's own `usage` and `rates` tables (read-only): join the rate in force,
        group by month, tenant, feature and model, exact DECIMAL cost, written as CSV.

Each is run as its own process by run.py, so interpreter and import time count on both sides.
"""

from __future__ import annotations

import sys

import duckdb

FLOOR_TABLE = """
CREATE TABLE usage (
    request_id VARCHAR, ts TIMESTAMPTZ, model VARCHAR, mode VARCHAR, provider VARCHAR,
    tenant VARCHAR, feature VARCHAR, environment VARCHAR, user_id VARCHAR, project VARCHAR,
    requests BIGINT, input_tokens BIGINT, cached_input_tokens BIGINT, cache_write_tokens BIGINT,
    output_tokens BIGINT, reasoning_tokens BIGINT, source_file VARCHAR, source_line BIGINT,
    attributes JSON, run_id BIGINT
)"""

FLOOR_INGEST = """
INSERT INTO usage
SELECT id, to_timestamp(created), model, 'serverless', 'openai',
       metadata->>'tenant', metadata->>'feature', metadata->>'environment', "user", metadata->>'project',
       1, usage.prompt_tokens,
       coalesce(usage.prompt_tokens_details.cached_tokens, usage.cached_tokens, 0), 0,
       usage.completion_tokens,
       coalesce(usage.completion_tokens_details.reasoning_tokens, usage.reasoning_tokens, 0),
       $path, NULL, metadata, 1
FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {
    id: 'VARCHAR', created: 'BIGINT', model: 'VARCHAR',
    usage: 'STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT, cached_tokens BIGINT, reasoning_tokens BIGINT,
                   prompt_tokens_details STRUCT(cached_tokens BIGINT),
                   completion_tokens_details STRUCT(reasoning_tokens BIGINT))',
    metadata: 'JSON', "user": 'VARCHAR'})"""

FLOOR_INGEST_BATCH = """
INSERT INTO usage
SELECT coalesce(b.id, response.request_id), to_timestamp(b.created), b.model, 'batch', 'openai',
       NULL, NULL, NULL, NULL, NULL,
       1, b.usage.prompt_tokens, coalesce(b.usage.prompt_tokens_details.cached_tokens, 0), 0,
       b.usage.completion_tokens, coalesce(b.usage.completion_tokens_details.reasoning_tokens, 0),
       $path, NULL, json_object('custom_id', custom_id, 'batch_request_id', id, 'request_id', response.request_id), 1
FROM (SELECT *, response.body AS b
      FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {
          id: 'VARCHAR', custom_id: 'VARCHAR',
          response: 'STRUCT(status_code BIGINT, request_id VARCHAR, body STRUCT(id VARCHAR, created BIGINT,
                     model VARCHAR, usage STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT,
                     prompt_tokens_details STRUCT(cached_tokens BIGINT),
                     completion_tokens_details STRUCT(reasoning_tokens BIGINT))))'}))"""

FLOOR_INGEST_ANTHROPIC = """
INSERT INTO usage
SELECT id, created_at, model, 'serverless', 'anthropic',
       metadata->>'tenant', metadata->>'feature', metadata->>'environment', "user", metadata->>'project',
       1, usage.input_tokens + coalesce(usage.cache_read_input_tokens, 0) + coalesce(usage.cache_creation_input_tokens, 0),
       coalesce(usage.cache_read_input_tokens, 0), coalesce(usage.cache_creation_input_tokens, 0),
       usage.output_tokens, 0,
       $path, NULL, json_object('cache_creation', usage.cache_creation, 'service_tier', usage.service_tier), 1
FROM read_json($path, format = 'newline_delimited', ignore_errors = true, columns = {
    id: 'VARCHAR', model: 'VARCHAR', created_at: 'TIMESTAMPTZ',
    usage: 'STRUCT(input_tokens BIGINT, output_tokens BIGINT, cache_read_input_tokens BIGINT,
                   cache_creation_input_tokens BIGINT, cache_creation JSON, service_tier VARCHAR)',
    metadata: 'JSON', "user": 'VARCHAR'})"""

FLOOR_INGESTS = {"ingest": FLOOR_INGEST, "ingest-batch": FLOOR_INGEST_BATCH, "ingest-anthropic": FLOOR_INGEST_ANTHROPIC}

FLOOR_REPORT = """
COPY (
    SELECT strftime(u.ts, '%Y-%m') AS period, u.tenant, u.feature, u.model,
           sum(u.requests) AS requests, sum(u.input_tokens) AS input_tokens,
           sum(u.cached_input_tokens) AS cached_input_tokens, sum(u.output_tokens) AS output_tokens,
           sum((u.input_tokens - u.cached_input_tokens - u.cache_write_tokens) * r.input_per_mtok
               + u.cached_input_tokens * coalesce(r.cached_input_per_mtok, r.input_per_mtok)
               + u.cache_write_tokens * coalesce(r.cache_write_per_mtok, r.input_per_mtok)
               + u.output_tokens * r.output_per_mtok) / 1000000 AS cost
    FROM usage u
    LEFT JOIN rates r
      ON r.model = u.model AND r.mode = u.mode
     AND (r.valid_from IS NULL OR u.ts >= r.valid_from) AND (r.valid_to IS NULL OR u.ts < r.valid_to)
    GROUP BY ALL
    ORDER BY period, cost DESC NULLS LAST, requests DESC, tenant, feature, model
) TO '{out}' (FORMAT csv, HEADER true)"""


def ingest(db: str, path: str, statement: str = FLOOR_INGEST) -> None:
    con = duckdb.connect(db)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(FLOOR_TABLE)
    con.execute(statement, {"path": path})
    con.close()


def report(db: str, out: str) -> None:
    con = duckdb.connect(db, read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(FLOOR_REPORT.format(out=out.replace("'", "''")))  # COPY TO takes no parameter
    con.close()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in (*FLOOR_INGESTS, "report"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "report":
        report(argv[1], argv[2])
    else:
        ingest(argv[1], argv[2], FLOOR_INGESTS[argv[0]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
