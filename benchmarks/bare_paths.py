"""The bare SQL that computes the same numbers as each of llm-spend's newer report paths, on the
same store (read-only), each run as its own process like bare.py (benchmarks/paths.py runs both).

Every statement prices with one join to the rate in force and the direct per-token formula
(PRICED below; no views, no macros, no checks), groups as the llm-spend command groups, and
writes what it computed to the output (CSV or Parquet), so both sides do the whole job:

  html        the HTML report's numbers: rows per month x tenant x feature x model, the daily cost
              per tenant (its charts) and the month totals, three CSVs
  statements  the per-tenant statements of one month: rows per tenant x feature x model, one CSV
              per tenant (COPY ... PARTITION_BY tenant)
  focus       FOCUS charge rows of one month: one per UTC day x model x tenant x mode x feature x
              environment x project x provider, to Parquet
  capacity    the tenant report with a capacity loaded: card cost of per-token rows plus each
              dedicated row's share spend x tokens / max(capacity_tokens, tokens served) of its
              month, and one idle row per capacity month, per month x tenant, to CSV
  whatif      every request re-priced on another model's card row next to its cost today, per
              tenant, to CSV
  reconcile   the computed cost per UTC day x model next to a bill of date,model,amount (full
              join) and the difference, to CSV

    python benchmarks/bare_paths.py PATH STORE.duckdb OUT [ARG]
"""

from __future__ import annotations

import sys

import duckdb

# usage with the card row in force and its cost (the chat data has serverless rows only; a
# dedicated row has no card row and its cost is NULL here).
PRICED = """
WITH priced AS (
    SELECT u.*,
           ((u.input_tokens - u.cached_input_tokens - u.cache_write_tokens) * r.input_per_mtok
            + u.cached_input_tokens * coalesce(r.cached_input_per_mtok, r.input_per_mtok)
            + u.cache_write_tokens * coalesce(r.cache_write_per_mtok, r.input_per_mtok)
            + u.output_tokens * r.output_per_mtok) / 1000000 AS cost
    FROM usage u
    LEFT JOIN rates r
      ON r.model = u.model AND r.mode = u.mode
     AND (r.valid_from IS NULL OR u.ts >= r.valid_from) AND (r.valid_to IS NULL OR u.ts < r.valid_to)
)"""

MONTH = "u.ts >= CAST($since AS TIMESTAMPTZ) AND u.ts < CAST($since AS TIMESTAMPTZ) + INTERVAL 1 MONTH"

STATEMENTS = {
    "html": [
        ("rows.csv", PRICED + """
SELECT strftime(ts, '%Y-%m') AS period, tenant, feature, model, sum(requests) AS requests,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost) AS cost
FROM priced GROUP BY ALL ORDER BY period, cost DESC NULLS LAST"""),
        ("daily.csv", PRICED + """
SELECT CAST(ts AS DATE) AS day, tenant, sum(cost) AS cost FROM priced GROUP BY ALL ORDER BY day, tenant"""),
        ("totals.csv", PRICED + """
SELECT strftime(ts, '%Y-%m') AS period, sum(requests) AS requests, sum(cost) AS cost,
       sum(requests) FILTER (WHERE cost IS NULL) AS unpriced_requests
FROM priced GROUP BY ALL ORDER BY period"""),
    ],
    "statements": [
        ("", PRICED + """
SELECT coalesce(tenant, '(none)') AS tenant, feature, model, sum(requests) AS requests,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost) AS cost
FROM priced WHERE """ + MONTH.replace("u.ts", "ts") + """ GROUP BY ALL ORDER BY tenant, cost DESC NULLS LAST"""),
    ],
    "focus": [
        ("", PRICED + """
SELECT CAST(ts AS DATE) AS day, model, mode, provider, tenant, feature, environment, project,
       sum(cost) AS cost, sum(requests) AS requests, sum(input_tokens) AS input_tokens,
       sum(cached_input_tokens) AS cached_input_tokens, sum(output_tokens) AS output_tokens
FROM priced WHERE cost IS NOT NULL AND """ + MONTH.replace("u.ts", "ts") + """
GROUP BY ALL ORDER BY day, tenant, model"""),
    ],
    "capacity": [
        ("", PRICED + """,
served AS (
    SELECT c.name, c.month, c.spend,
           greatest(any_value(c.capacity_tokens), coalesce(sum(p.input_tokens + p.output_tokens), 0)) AS d,
           coalesce(sum(p.input_tokens + p.output_tokens), 0) AS tokens
    FROM capacities c LEFT JOIN priced p
      ON p.mode = c.kind AND list_contains(c.models, p.model) AND CAST(date_trunc('month', p.ts) AS DATE) = c.month
    GROUP BY ALL
),
shared AS (
    SELECT strftime(p.ts, '%Y-%m') AS period, p.tenant, p.requests,
           CASE WHEN p.mode IN ('dedicated', 'gpu_cluster') THEN s.spend * (p.input_tokens + p.output_tokens) / s.d
                ELSE p.cost END AS cost
    FROM priced p LEFT JOIN (served s JOIN capacities c ON c.name = s.name AND c.month = s.month)
      ON p.mode = c.kind AND list_contains(c.models, p.model) AND CAST(date_trunc('month', p.ts) AS DATE) = s.month
)
SELECT period, tenant, sum(requests) AS requests, sum(cost) AS cost FROM shared GROUP BY ALL
UNION ALL
SELECT strftime(month, '%Y-%m'), '(idle capacity)', 0, spend * (d - tokens) / d FROM served
ORDER BY 1, 4 DESC NULLS LAST"""),
    ],
    "whatif": [
        ("", PRICED + """
SELECT p.tenant, sum(p.requests) AS requests, sum(p.cost) AS current_cost,
       sum(((p.input_tokens - p.cached_input_tokens - p.cache_write_tokens) * w.input_per_mtok
            + p.cached_input_tokens * coalesce(w.cached_input_per_mtok, w.input_per_mtok)
            + p.cache_write_tokens * coalesce(w.cache_write_per_mtok, w.input_per_mtok)
            + p.output_tokens * w.output_per_mtok) / 1000000) AS whatif_cost
FROM priced p
LEFT JOIN rates w
  ON w.model = $model AND w.mode = p.mode
 AND (w.valid_from IS NULL OR p.ts >= w.valid_from) AND (w.valid_to IS NULL OR p.ts < w.valid_to)
GROUP BY ALL ORDER BY current_cost DESC NULLS LAST"""),
    ],
    "reconcile": [
        ("", PRICED + """,
computed AS (
    SELECT CAST(ts AS DATE) AS day, model, sum(requests) AS requests, sum(cost) AS cost
    FROM priced WHERE """ + MONTH.replace("u.ts", "ts") + """ GROUP BY ALL
),
bill AS (
    SELECT CAST(date AS DATE) AS day, model, sum(CAST(amount AS DECIMAL(38, 9))) AS billed
    FROM read_csv($bill, header = true, columns = {'date': 'VARCHAR', 'model': 'VARCHAR', 'amount': 'VARCHAR'})
    GROUP BY ALL
)
SELECT coalesce(c.day, b.day) AS day, coalesce(c.model, b.model) AS model, c.requests, c.cost, b.billed,
       b.billed - c.cost AS difference
FROM computed c FULL JOIN bill b ON b.day = c.day AND b.model = c.model
ORDER BY day, model"""),
    ],
}


def run(path: str, db: str, out: str, arg: str | None) -> None:
    con = duckdb.connect(db, read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    for suffix, sql in STATEMENTS[path]:
        named = {name: value for name, value in (("since", arg), ("model", arg), ("bill", arg)) if f"${name}" in sql}
        if path == "reconcile":
            month, bill = arg.split(",", 1)
            named = {"since": month, "bill": bill}
        target = out + suffix if suffix else out
        options = ("FORMAT parquet" if target.endswith(".parquet") else
                   "FORMAT csv, HEADER true, PARTITION_BY (tenant), OVERWRITE_OR_IGNORE true" if path == "statements"
                   else "FORMAT csv, HEADER true")
        con.execute(f"COPY ({sql}) TO '{target.replace(chr(39), chr(39) * 2)}' ({options})", named)
    con.close()


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[0] not in STATEMENTS:
        print(__doc__, file=sys.stderr)
        return 2
    run(argv[0], argv[1], argv[2], argv[3] if len(argv) == 4 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
