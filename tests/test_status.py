"""`llm-spend status`: rows, time range, last run, pricing coverage, unpriced models, rejects."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import pytest

from analyzer.sqlfiles import migrations
from analyzer.status import _percent
from tests.helpers import chat_record, write_card, write_jsonl

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z


@pytest.fixture
def store(spend, tmp_path):
    """Two runs: 3 requests of a priced model, 1 of an unpriced one, 3 rejects of 3 reasons; then
    a second run adding 1 request and 1 duplicate."""
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    write_jsonl(tmp_path / "a.jsonl", [
        chat_record("a1", created=JAN_1, prompt=1000, completion=100),
        chat_record("a2", created=JAN_1 + 60, prompt=2000, completion=200),
        chat_record("u1", created=JAN_1 + 120, model="mystery", prompt=500, completion=50),
        "{bad",
        '{"id": "x", "object": "chat.completion", "created": 1767225600, "usage": {"prompt_tokens": 1, "completion_tokens": 1}}',
        '{"id": "y", "object": "chat.completion", "created": 1767225600, "model": "m", "usage": null}',
    ])
    spend.ok("ingest", tmp_path / "a.jsonl")
    write_jsonl(tmp_path / "b.jsonl", [chat_record("a3", created=JAN_1 + 86400 + 59, prompt=4000, completion=400),
                                       chat_record("a1", created=JAN_1, prompt=1000, completion=100)])
    spend.ok("ingest", tmp_path / "b.jsonl")
    return spend


def test_status_json_has_every_field(store, tmp_path):
    data = json.loads(store.ok("status", "--format", "json").stdout)
    assert data["usage"] == {"rows": 4, "requests": 4, "first_ts": "2026-01-01T00:00:00+00:00",
                             "last_ts": "2026-01-02T00:00:59+00:00"}
    assert data["files"] == {"files": 2, "rows_new": 4, "runs": 2}

    run = data["last_run"]
    assert {k: run[k] for k in ("run_id", "files_seen", "files_read", "rows_read", "rows_new", "duplicates",
                                "rejects", "new_tokens", "new_tokens_priced")} == {
        "run_id": 2, "files_seen": 1, "files_read": 1, "rows_read": 2, "rows_new": 1, "duplicates": 1,
        "rejects": 0, "new_tokens": 4400, "new_tokens_priced": 4400}
    started, finished = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
    assert started.utcoffset().total_seconds() == 0 and started <= finished <= datetime.now(timezone.utc)
    assert run["seconds"] == pytest.approx((finished - started).total_seconds(), abs=1e-6)  # duration, not money

    priced_tokens, tokens = 1100 + 2200 + 4400, 1100 + 2200 + 550 + 4400
    assert data["coverage"] == {
        "requests": 4, "priced_requests": 3, "tokens": tokens, "priced_tokens": priced_tokens,
        # 1000 + 2000 + 4000 input at $1, 100 + 200 + 400 output at $2 per 1M tokens
        "cost": "0.0084", "requests_share": 0.75, "tokens_share": priced_tokens / tokens,
    }
    assert data["unpriced_models"] == [{"model": "mystery", "mode": "serverless", "requests": 1, "tokens": 550,
                                        "first_seen": "2026-01-01T00:02:00+00:00",
                                        "last_seen": "2026-01-01T00:02:00+00:00"}]
    assert data["rejects"] == [{"reason": "no model", "count": 1}, {"reason": "no usage", "count": 1},
                               {"reason": "not JSON", "count": 1}]
    assert data["schema"] == [name for name, _ in migrations()]


def test_status_text(store):
    lines = store.ok("status").stdout.splitlines()
    assert lines[0] == "usage: 4 rows (4 requests) from 2 files in 2 runs"
    assert lines[1] == "time range: 2026-01-01 00:00:00 to 2026-01-02 00:00:59 UTC"
    assert lines[2].startswith("last run: #2 at ")
    assert lines[2].endswith(": 1 of 1 files read, 1 new rows, 1 duplicates, 0 rejects")
    assert " UTC, took " in lines[2]
    assert lines[3:] == [
        "priced: 75.0% of requests (3 of 4), 93.3% of tokens (7,700 of 8,250)",
        "unpriced: mystery (serverless): 1 requests, 550 tokens",
        "rejects: 1 no model",
        "rejects: 1 no usage",
        "rejects: 1 not JSON",
        f"schema: {', '.join(name for name, _ in migrations())}",
    ]


def test_status_of_a_store_with_no_runs(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,1.00,2.00,,,,,"))
    result = spend.ok("status")
    assert result.stdout.splitlines()[:2] == ["usage: 0 rows (0 requests) from 0 files in 0 runs", "last run: none"]
    data = json.loads(spend.ok("status", "--format", "json").stdout)
    assert data["last_run"] is None and data["usage"]["first_ts"] is None
    assert (data["coverage"]["requests_share"], data["coverage"]["tokens_share"], data["coverage"]["cost"]) == (None, None, None)


def test_status_without_a_store_says_so(spend, db):
    result = spend("status")
    assert result.exit_code == 1
    assert result.stderr == f"error: no store at {db}: run `llm-spend ingest` or `llm-spend rates load` first\n"
    assert not db.exists()


def test_status_changes_nothing(store, db):
    def everything():
        with duckdb.connect(str(db), read_only=True) as con:
            return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                    for t in ("usage", "rejects", "ingested_files", "ingest_runs", "schema_migrations", "settings")]

    before = everything()
    store.ok("status", "--wait", "1")
    assert everything() == before


@pytest.mark.parametrize("part,whole,text", [
    (3, 4, "75.0%"), (999, 1000, "99.9%"), (9999, 10000, ">99.9%"), (1, 10000, "<0.1%"),
    (0, 5, "0.0%"), (5, 5, "100.0%"),
])
def test_shares_never_round_to_all_or_nothing(part, whole, text):
    assert _percent(part, whole) == text
