"""A folder of mixed exports (several formats, some gzipped, one damaged) in one ingest command."""

from __future__ import annotations

import gzip
import shutil
import zlib
from decimal import Decimal
from pathlib import Path

from tests.helpers import FORMATS, chat_record, write_card, write_jsonl


def gzip_copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


def copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def truncated_gzip(path: Path, records: int) -> int:
    """A gzip JSONL file cut in the middle; returns how many whole lines still decompress."""
    write_jsonl(path, [chat_record(f"t{i}", model="m", prompt=100, completion=10) for i in range(records)], gz=True)
    data = path.read_bytes()
    cut = data[: len(data) * 6 // 10]
    path.write_bytes(cut)
    prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    assert not prefix.endswith(b"\n")  # the cut falls inside a record
    return prefix.count(b"\n")


def test_mixed_folder_in_one_command(spend, tmp_path):
    root = tmp_path / "exports"
    for folder in ("openai", "broken"):
        (root / folder).mkdir(parents=True)
    write_jsonl(root / "openai" / "chat.jsonl.gz", [chat_record("c1", model="m"), chat_record("c2", model="m"),
                                                    "not json at all"], gz=True)
    copy(FORMATS / "anthropic_stream_usage_events.sse", root / "anthropic" / "stream.sse")
    gzip_copy(FORMATS / "litellm_spendlogs_table.CONSTRUCTED.csv", root / "litellm" / "spendlogs.csv.gz")
    copy(FORMATS / "openai_usage_completions.json", root / "usage" / "2024-11-01.json")
    copy(FORMATS / "openai_costs.json", root / "costs" / "2024-11-01.json")
    gzip_copy(FORMATS / "openai_batch_output.jsonl", root / "batch" / "output.jsonl.gz")
    copy(FORMATS / "openai_batch_error.jsonl", root / "batch" / "errors.jsonl")
    whole = truncated_gzip(root / "broken" / "chat.jsonl.gz", 200)
    copy(FORMATS / "openai_batch_output.jsonl", root / ".hidden" / "ignored.jsonl")
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", """
        m,,1.00,2.00,,,,,
        gpt-3.5-turbo-0125,,0.50,1.50,,,,,
        claude-opus-4-8,,5.00,25.00,0.50,6.25,,,
        gpt-4o-mini,,0.15,0.60,0.075,,,,
    """))

    out = spend.ok("ingest", root, "--default-time", "2026-02-01").stdout

    lines = {Path(line.split(":")[0]).relative_to(root).as_posix(): line.split(": ", 1)[1]
             for line in out.splitlines() if line.startswith(str(root))}
    assert lines == {
        "anthropic/stream.sse": "anthropic-messages: 1 read, 1 new, 0 duplicates, 0 rejected",
        "batch/errors.jsonl": "openai-batch: 2 read, 0 new, 0 duplicates, 2 rejected",
        "batch/output.jsonl.gz": "openai-batch: 2 read, 2 new, 0 duplicates, 0 rejected",
        "broken/chat.jsonl.gz": f"openai-chat: {whole + 2} read, {whole} new, 0 duplicates, 2 rejected",
        "costs/2024-11-01.json": "openai-costs: 1 read, 1 new, 0 duplicates, 0 rejected "
                                 "(billed costs, stored in billed_costs for reconciliation, not usage)",
        "litellm/spendlogs.csv.gz": "litellm: 1 read, 1 new, 0 duplicates, 0 rejected",
        "openai/chat.jsonl.gz": "openai-chat: 3 read, 2 new, 0 duplicates, 1 rejected",
        "usage/2024-11-01.json": "openai-usage: 1 read, 1 new, 0 duplicates, 0 rejected",
    }
    assert [line for line in out.splitlines() if line.startswith("warning:")] == [
        f"warning: {whole + 6} of {whole + 8} new rows have no tenant: check the [attribution] tenant paths in the "
        "config, then `llm-spend ingest --reread PATH...`"]
    assert out.splitlines()[-1].startswith(f"ingested {whole + 8} new rows from 8 files (0 unchanged skipped, "
                                           f"0 duplicates, 5 rejected)")
    broken = spend.sql("SELECT source_line, reason FROM rejects WHERE source_file LIKE '%broken%' ORDER BY 1")
    assert [(r["source_line"], r["reason"]) for r in broken] == [
        (whole + 1, "not JSON"),  # the record cut in half
        (whole + 2, "gzip data ends early (the file is truncated): the rest of the file is unreadable"),
    ]
    per_format = {r["provider"]: (r["rows"], r["input"], r["output"]) for r in spend.sql(
        "SELECT provider, count(*) AS rows, sum(input_tokens) AS input, sum(output_tokens) AS output "
        "FROM usage GROUP BY provider")}
    assert per_format == {"openai": (2 + 2 + whole + 1 + 1, 2000 + 42 + 100 * whole + 1000 + 1117,
                                     200 + 11 + 10 * whole + 500 + 46),
                          "anthropic": (1, 31, 547)}
    # priced: chat m (1000 x 1 + 100 x 2 each), batch gpt-3.5 at half rates, opus, LiteLLM gpt-4o-mini;
    # the Usage API page ("(all models)") has no rate here and stays unpriced
    priced = spend.sql("SELECT sum(cost) AS cost, count(*) FILTER (WHERE NOT priced) AS unpriced FROM priced_usage")[0]
    expected = (Decimal("0.0012") * 2 + Decimal("0.00012") * whole + Decimal("0.00001875") + Decimal("0.01383")
                + Decimal("0.00011835"))
    assert (Decimal(priced["cost"]), priced["unpriced"]) == (expected, 1)

    again = spend.ok("ingest", root, "--default-time", "2026-02-01").stdout
    assert again.splitlines()[-1].startswith("ingested 0 new rows from 0 files (8 unchanged skipped")


def test_folder_with_an_unrecognisable_file_fails_loudly_and_keeps_the_rest(spend, tmp_path):
    root = tmp_path / "exports"
    root.mkdir()
    write_jsonl(root / "a.jsonl", [chat_record("a", model="m")])
    (root / "garbage.log").write_text("garbage line one\ngarbage line two\n")
    result = spend("ingest", root)
    assert result.exit_code == 1
    assert "garbage.log: format not recognised (tried openai-batch" in result.stderr
    assert "a.jsonl: openai-chat: 1 read, 1 new" in result.stdout
    assert spend.sql("SELECT count(*) AS n FROM usage")[0]["n"] == 1
