"""Synthetic usage logs for the benchmark: N realistic records, deterministic for a seed, fast.

Writes OpenAI Chat Completions response objects, one per line (the `openai-chat` reader), in
the three shapes that reader meets in real exports: OpenAI's own (details objects with cached
and reasoning tokens), together.ai's (top-level `usage.cached_tokens`, null details) and vLLM's
(null `prompt_tokens_details`, no reasoning count). Records carry several tenants, features,
environments and users (a few carry no metadata), models from a small rate card the script also
writes (plus one model deliberately left off the card: unpriced), cached and reasoning tokens,
about 2% duplicate records (the same line delivered again: same id) and about 0.1% bad lines
(truncated, not JSON, not an object, an error object without usage).

`--shape batch` writes OpenAI Batch output lines instead (`openai-batch`: the same OpenAI chat
bodies under response.body, custom ids, no metadata, as the Batch API writes them; the bad lines
include expired requests), and `--shape anthropic` Anthropic Messages responses
(`anthropic-messages`: Claude models, cache reads and 5-minute cache writes, with the
`created_at` time and `metadata` a logging proxy adds, since a message carries neither). Each
shape is a file of its own, as the bare-DuckDB floor reads one known shape per file.

    python benchmarks/generate.py --records 1000000 --out benchmarks/data/usage.jsonl --rates benchmarks/data/rates.csv
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

# model, weight, input, output, cached input (USD per 1M tokens; None: not on the card),
# record shape, reasoning model?
MODELS = [
    ("gpt-4o-mini-2024-07-18", 40, "0.15", "0.6", "0.075", "openai", False),
    ("gpt-4o-2024-08-06", 15, "2.5", "10", "1.25", "openai", False),
    ("gpt-4.1-2025-04-14", 10, "2", "8", "0.5", "openai", False),
    ("gpt-4.1-mini-2025-04-14", 10, "0.4", "1.6", "0.1", "openai", False),
    ("o3-mini-2025-01-31", 8, "1.1", "4.4", "0.55", "openai", True),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", 10, "0.88", "0.88", None, "together", False),
    ("openai/gpt-oss-120b", 5, "0.15", "0.6", None, "vllm", True),
    ("ft:gpt-4o-mini-2024-07-18:acme:support:9xYz", 2, None, None, None, "openai", False),
]
# Anthropic models for --shape anthropic: model, weight, input, output, cache read, cache write
# (USD per 1M tokens; None: not on the card).
CLAUDE_MODELS = [
    ("claude-sonnet-4-5-20250929", 50, "3", "15", "0.3", "3.75"),
    ("claude-haiku-4-5-20251001", 35, "1", "5", "0.1", "1.25"),
    ("claude-opus-4-1-20250805", 13, "15", "75", "1.5", "18.75"),
    ("claude-experimental-preview", 2, None, None, None, None),
]
SHAPES = ("chat", "batch", "anthropic")
# One effective-dated change, so pricing has to look at the record's time.
LLAMA_OLD_RATE = ("1.10", "1.10", "2026-09-15T00:00:00Z")

TENANTS = [("acme-corp", 30), ("globex", 20), ("initech", 15), ("umbrella", 10), ("hooli", 10),
           ("stark-industries", 8), ("wayne-enterprises", 5), ("soylent", 2)]
FEATURES = [("chat", 40), ("search", 20), ("summarise", 15), ("classify", 10), ("agent", 10), ("translate", 5)]
ENVIRONMENTS = [("production", 80), ("staging", 15), ("development", 5)]
CONTENTS = ["Sure, here is a short answer.", "No matching document was found for that query.",
            "The invoice total is 1,240.00 EUR.", "Category: billing", "Bonjour, comment puis-je aider ?",
            "I have updated the ticket and notified the on-call engineer."]
USERS = 5000
CHUNK = 50_000
DUPLICATE_PER_1K = 20  # about 2% of lines repeat an earlier record (same id)
BAD_PER_16K = 16  # about 0.1% of lines are not usable records

OPENAI_LINE = (
    '{"id":"chatcmpl-%s","object":"chat.completion","created":%d,"model":"%s","choices":[{"index":0,'
    '"message":{"role":"assistant","content":"%s","refusal":null,"annotations":[]},"logprobs":null,'
    '"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,'
    '"prompt_tokens_details":{"cached_tokens":%d,"audio_tokens":0},"completion_tokens_details":'
    '{"reasoning_tokens":%d,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},'
    '"service_tier":"default","system_fingerprint":"fp_%s"%s}\n'
)
TOGETHER_LINE = (
    '{"id":"%s","choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"%s",'
    '"refusal":null,"role":"assistant","tool_calls":[]}}],"created":%d,"model":"%s","object":"chat.completion",'
    '"service_tier":null,"system_fingerprint":null,"usage":{"completion_tokens":%d,"prompt_tokens":%d,'
    '"total_tokens":%d,"completion_tokens_details":null,"prompt_tokens_details":null,"cached_tokens":%d},'
    '"prompt":[]%s}\n'
)
VLLM_LINE = (
    '{"id":"chatcmpl-%s","object":"chat.completion","created":%d,"model":"%s","choices":[{"index":0,'
    '"message":{"role":"assistant","content":"%s","refusal":null,"tool_calls":[]},"logprobs":null,'
    '"finish_reason":"stop","stop_reason":null}],"service_tier":null,"system_fingerprint":null,'
    '"usage":{"prompt_tokens":%d,"total_tokens":%d,"completion_tokens":%d,"prompt_tokens_details":null}%s}\n'
)
BAD_LINES = [
    None,  # a truncated copy of the previous line
    "upstream connect error or disconnect/reset before headers\n",
    "[1, 2, 3]\n",
    '{"id":"chatcmpl-error","object":"error","error":{"message":"Rate limit reached","type":"requests"}}\n',
]
BATCH_LINE = ('{"id":"batch_req_%s","custom_id":"request-%d","response":{"status_code":200,"request_id":"%s",'
              '"body":%s},"error":null}\n')
BATCH_BAD_LINES = [
    None,
    '{"id":"batch_req_expired%d","custom_id":"request-%d","response":null,"error":{"code":"batch_expired",'
    '"message":"This request could not be executed before the completion window expired."}}\n',
    "[1, 2, 3]\n",
    '{"id":"batch_req_failed%d","custom_id":"request-%d","response":{"status_code":429,"request_id":"req_x",'
    '"body":{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}},"error":null}\n',
]
ANTHROPIC_LINE = (
    '{"id":"msg_%s","type":"message","role":"assistant","model":"%s","content":[{"type":"text","text":"%s"}],'
    '"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":%d,'
    '"cache_read_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":0},'
    '"output_tokens":%d,"service_tier":"standard"},"created_at":"%s"%s}\n'
)
ANTHROPIC_BAD_LINES = [
    None,
    "upstream connect error or disconnect/reset before headers\n",
    "[1, 2, 3]\n",
    '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n',
]


@dataclass
class Written:
    lines: int = 0
    records: int = 0  # usable records, duplicates included
    duplicates: int = 0
    bad: int = 0
    bytes: int = 0


def _pool(items: list[tuple], size: int = 4096) -> list:
    """A lookup list in which each item appears in proportion to its weight (index with random bits)."""
    total = sum(weight for _, weight in items)
    pool: list = []
    for value, weight in items:
        pool.extend([value] * round(size * weight / total))
    return (pool + pool[: size - len(pool)])[:size] if len(pool) < size else pool[:size]


def _token_pool(rng: random.Random, median: int, spread: float, size: int = 4096) -> list[int]:
    return [max(1, int(rng.lognormvariate(0, spread) * median)) for _ in range(size)]


def tenant_weights(tenants: int) -> list[tuple[str, int]]:
    """TENANTS, or with `tenants` > 0 that many tenants tenant-01.. with weights falling as 1/rank."""
    if not tenants:
        return TENANTS
    return [(f"tenant-{i:02d}", max(1, 1000 // i)) for i in range(1, tenants + 1)]


def _extras(rng: random.Random, tenants: int = 0) -> list[str]:
    """Pre-formatted `"metadata":{...},"user":...` fragments; about 5% of records carry neither."""
    combos = [(f'{t},{f},{e}', tw * fw * ew) for t, tw in tenant_weights(tenants) for f, fw in FEATURES
              for e, ew in ENVIRONMENTS]
    fragments = []
    for combo in _pool(combos, 8192):
        tenant, feature, environment = combo.split(",")
        fragments.append(f',"metadata":{{"tenant":"{tenant}","feature":"{feature}","environment":"{environment}"}}'
                         f',"user":"user-{rng.randrange(USERS)}"')
    for i in range(0, len(fragments), 20):
        fragments[i] = ""
    return fragments


@functools.lru_cache(maxsize=4)
def _tables(seed: int, tenants: int = 0) -> tuple[list, list[int], list[int], list[str]]:
    """Weighted lookup lists for one seed, built once per process."""
    rng = random.Random(seed)
    models = _pool([(m, m[1]) for m in MODELS])
    return models, _token_pool(rng, 900, 1.0), _token_pool(rng, 180, 0.9), _extras(rng, tenants)


def write_chunk(seed: int, count: int, lo: int, hi: int, first: int, span: int,
                shape: str = "chat", tenants: int = 0) -> tuple[bytes, Written]:
    """Lines lo..hi-1 of a file of `count` lines. Each chunk has its own random stream (from the
    seed and the chunk's start), so chunks can be made in parallel and the bytes do not depend on
    how many processes made them."""
    if shape != "chat":
        return _write_other_chunk(seed, count, lo, hi, first, span, shape, tenants)
    models, prompts, completions, extras = _tables(seed, tenants)
    rng = random.Random(seed * 1_000_003 + lo)
    written = Written()
    lines: list[str] = []
    records: list[str] = []  # the good lines so far: what a duplicate repeats
    for i in range(lo, hi):
        # One 64-bit draw decides the line (bit fields do not overlap), one more the details.
        bits = rng.getrandbits(64)
        if lines and bits & 0x3FFF < BAD_PER_16K:
            bad = BAD_LINES[(bits >> 14) & 3]
            lines.append(bad if bad else lines[-1][: len(lines[-1]) // 2] + "\n")
            written.bad += 1
            continue
        if records and (bits >> 16) & 0x3FF < DUPLICATE_PER_1K:
            lines.append(records[-1 - (bits >> 26) % min(len(records), 500)])
            written.duplicates += 1
            continue
        name, _, _, _, _, shape, reasoning = models[(bits >> 26) & 4095]
        prompt = prompts[(bits >> 38) & 4095]
        completion = completions[(bits >> 50) & 4095]
        cached = (prompt - 1024) // 128 * 128 + 1024 if prompt >= 1024 and bits >> 63 else 0
        more = rng.getrandbits(32)
        thought = completion * (3 + (more & 3)) // 8 if reasoning else 0
        created = first + span * i // count + ((more >> 2) & 63)
        extra = extras[(more >> 8) & 8191]
        content = CONTENTS[(more >> 21) % len(CONTENTS)]
        ident = "%032x" % rng.getrandbits(128)
        if shape == "openai":
            line = OPENAI_LINE % (ident[:29], created, name, content, prompt, completion, prompt + completion,
                                  cached, thought, ident[29:], extra)
        elif shape == "together":
            line = TOGETHER_LINE % (ident, content, created, name, completion, prompt, prompt + completion,
                                    cached, extra)
        else:
            line = VLLM_LINE % (ident, created, name, content, prompt, prompt + completion, completion, extra)
        lines.append(line)
        records.append(line)
    data = "".join(lines).encode("utf-8")
    written.lines, written.bytes = len(lines), len(data)
    written.records = written.lines - written.bad
    return data, written


def _write_other_chunk(seed: int, count: int, lo: int, hi: int, first: int, span: int,
                       shape: str, tenants: int) -> tuple[bytes, Written]:
    """write_chunk for the batch and anthropic shapes (same bit layout, other line templates)."""
    import time as clock

    models, prompts, completions, extras = _tables(seed, tenants)
    claude = _pool([(m, m[1]) for m in CLAUDE_MODELS])
    bad_lines = BATCH_BAD_LINES if shape == "batch" else ANTHROPIC_BAD_LINES
    rng = random.Random(seed * 1_000_003 + lo + (7 if shape == "batch" else 11))
    written = Written()
    lines: list[str] = []
    records: list[str] = []
    for i in range(lo, hi):
        bits = rng.getrandbits(64)
        if lines and bits & 0x3FFF < BAD_PER_16K:
            bad = bad_lines[(bits >> 14) & 3]
            lines.append(lines[-1][: len(lines[-1]) // 2] + "\n" if bad is None else
                         bad % (i, i) if "%d" in bad else bad)
            written.bad += 1
            continue
        if records and (bits >> 16) & 0x3FF < DUPLICATE_PER_1K:
            lines.append(records[-1 - (bits >> 26) % min(len(records), 500)])
            written.duplicates += 1
            continue
        prompt = prompts[(bits >> 38) & 4095]
        completion = completions[(bits >> 50) & 4095]
        more = rng.getrandbits(32)
        created = first + span * i // count + ((more >> 2) & 63)
        content = CONTENTS[(more >> 21) % len(CONTENTS)]
        ident = "%032x" % rng.getrandbits(128)
        if shape == "batch":
            name = models[(bits >> 26) & 4095][0]
            if not name.startswith(("gpt-", "o3-")):
                name = "gpt-4o-mini-2024-07-18"  # the Batch API serves OpenAI's own models
            cached = (prompt - 1024) // 128 * 128 + 1024 if prompt >= 1024 and bits >> 63 else 0
            thought = completion * (3 + (more & 3)) // 8 if name.startswith("o3-") else 0
            body = OPENAI_LINE % (ident[:29], created, name, content, prompt, completion, prompt + completion,
                                  cached, thought, ident[29:], "")
            line = BATCH_LINE % (ident[:24], i, "req_" + ident[8:], body.rstrip("\n"))
        else:
            name = claude[(bits >> 26) & 4095][0]
            cache_read = (prompt * 3 // 4) if bits >> 63 else 0
            cache_write = prompt // 5 if (more >> 30) & 1 else 0
            stamp = clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime(created))
            line = ANTHROPIC_LINE % (ident[:24], name, content, prompt, cache_write, cache_read, cache_write,
                                     completion, stamp, extras[(more >> 8) & 8191])
        lines.append(line)
        records.append(line)
    data = "".join(lines).encode("utf-8")
    written.lines, written.bytes = len(lines), len(data)
    written.records = written.lines - written.bad
    return data, written


def _chunk_job(job: tuple) -> tuple[bytes, Written]:
    return write_chunk(*job)


def write_records(out: BinaryIO, count: int, *, seed: int, start: datetime, days: int, jobs: int = 1,
                  shape: str = "chat", tenants: int = 0) -> Written:
    """Write `count` lines to the binary stream `out`; the same seed writes the same bytes."""
    first, span = int(start.timestamp()), days * 86400
    chunks = [(seed, count, lo, min(count, lo + CHUNK), first, span, shape, tenants) for lo in range(0, count, CHUNK)]
    total = Written()
    pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 and len(chunks) > 1 else None
    try:
        for data, written in (pool.imap(_chunk_job, chunks) if pool else map(_chunk_job, chunks)):
            out.write(data)
            for name in ("lines", "records", "duplicates", "bad", "bytes"):
                setattr(total, name, getattr(total, name) + getattr(written, name))
    finally:
        if pool:
            pool.terminate()
    return total


def write_rate_card(path: Path) -> int:
    """The rate card (docs/rate-card.md) for the models above; the fine-tuned model is left off on purpose."""
    rows = ["model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,"
            "valid_from,valid_to,currency"]
    for name, _, rate_in, rate_out, rate_cached, _, _ in MODELS:
        if rate_in is None:
            continue
        if name.startswith("meta-llama/"):
            old_in, old_out, change = LLAMA_OLD_RATE
            rows.append(f"{name},serverless,{old_in},{old_out},,,,{change},USD")
            rows.append(f"{name},serverless,{rate_in},{rate_out},,,{change},,USD")
        else:
            rows.append(f"{name},serverless,{rate_in},{rate_out},{rate_cached or ''},,,,USD")
    for name, _, rate_in, rate_out, rate_read, rate_write in CLAUDE_MODELS:
        if rate_in is not None:
            rows.append(f"{name},serverless,{rate_in},{rate_out},{rate_read},{rate_write},,,USD")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def generate(path: Path, count: int, *, seed: int = 5, start: str = "2026-08-01", days: int = 92,
             jobs: int = 1, shape: str = "chat", tenants: int = 0) -> Written:
    """Write `count` lines of records of `shape` (SHAPES) to `path`, spread over `days` days from
    `start` (UTC)."""
    if shape not in SHAPES:
        raise ValueError(f"shape {shape!r} is not one of {SHAPES}")
    began = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        return write_records(out, count, seed=seed, start=began, days=days, jobs=jobs, shape=shape, tenants=tenants)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="lines to write (bad lines and duplicates included)")
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    parser.add_argument("--rates", type=Path, help="also write the matching rate card CSV here")
    parser.add_argument("--shape", choices=SHAPES, default="chat", help="record shape (default chat)")
    parser.add_argument("--tenants", type=int, default=0,
                        help="this many tenants tenant-01.. (default: the 8 named ones)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--start", default="2026-08-01", help="first day (UTC), YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=92)
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes making chunks (the bytes do not depend on it; on a 2-vCPU machine with a "
                             "busy disk 1 is as fast)")
    args = parser.parse_args(argv)
    written = generate(args.out, args.records, seed=args.seed, start=args.start, days=args.days, jobs=args.jobs,
                       shape=args.shape, tenants=args.tenants)
    if args.rates:
        write_rate_card(args.rates)
    print(f"{args.out}: {written.lines:,} lines, {written.bytes / 1e6:,.0f} MB, {written.duplicates:,} duplicates, "
          f"{written.bad:,} bad lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
