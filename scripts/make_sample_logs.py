"""Write the demo usage logs in sample_logs/ (deterministic: same bytes on every run).

    python scripts/make_sample_logs.py             # rewrite sample_logs/ (`make regen` runs it)
    python scripts/make_sample_logs.py --out DIR   # write the same files into DIR instead

Writes three months (2026-08 .. 2026-10, UTC) of OpenAI Chat Completions response objects, one
JSON object a line, gzip-compressed with mtime 0, one file per month and export
(sample_logs/exports/2026-08/openai-export-2026-08.jsonl.gz, ...); the demo rate card
sample_logs/rates.csv (the default card's rows for the sample's models plus one effective-dated
price change); and
sample_logs/README.md with the counts. Standard library only; the default card is read from
analyzer/data/default_rates.csv (run scripts/make_default_rates.py first if it changed).

What the data exercises: six tenants (one named like a spreadsheet formula, for CSV
neutralisation), five features, records without `metadata.environment`, `metadata.feature` or
`metadata` at all, cached tokens (inside prompt_tokens) and reasoning tokens (inside
completion_tokens), `prompt_tokens_details` null or missing, together.ai's top-level
`usage.cached_tokens`, one model with no rate (unpriced), one free model, records on both
sides of the price change and of month ends, a few malformed lines, and records exported
twice (the overlap of two exports).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import fnmatch
import gzip
import io
import json
import math
import random
import string
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "sample_logs"
DEFAULT_CARD = REPO / "analyzer" / "data" / "default_rates.csv"

SEED = 20261031
MONTHS = ["2026-08", "2026-09", "2026-10"]
RECORDS_PER_MONTH = {"2026-08": 12_000, "2026-09": 13_000, "2026-10": 14_500}
DUPLICATES = 20  # last records of the 2026-08 openai export, exported again in 2026-09

# The demo's price change: this model's default rate applies from CHANGE_AT; before it, an
# illustrative higher rate (not a published price) so the report shows a rate change.
CHANGE_MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
CHANGE_AT = "2026-09-15T00:00:00Z"
OLD_RATE = ("1.10", "1.10")  # input, output USD per 1M tokens before CHANGE_AT

# A customer's own fine-tune: no price list knows it, so no card prices it until its owner adds a row.
UNPRICED_MODEL = "northwind-labs/support-router-ft-v2"
FREE_MODEL = "meta-llama/llama-3.3-70b-instruct:free"

TENANTS = {"acme-corp": 30, "globex": 22, "initech": 17, "umbrella": 14, "hooli": 12,
           "=cmd|calc": 5}
ENVIRONMENTS = {"production": 82, "staging": 18}


@dataclass(frozen=True)
class Model:
    name: str
    export: str            # which export file carries it: openai, together or openrouter
    reasoning: bool = False
    caches: bool = False   # reports cached prompt tokens


MODELS = {m.name: m for m in [
    Model("gpt-4o-2024-08-06", "openai", caches=True),
    Model("gpt-4o-mini-2024-07-18", "openai", caches=True),
    Model("o3-mini-2025-01-31", "openai", reasoning=True, caches=True),
    Model("meta-llama/Llama-3.3-70B-Instruct-Turbo", "together"),
    Model("meta-llama/Llama-4-Scout-17B-16E-Instruct", "together"),
    Model("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "together"),
    Model("deepseek-ai/DeepSeek-V4.1-Flash", "together", caches=True),
    Model("Qwen/Qwen3.7-Plus", "together"),
    Model("Qwen/Qwen3.8-Flash", "together"),
    Model("zai-org/GLM-5.3", "together", caches=True),
    Model("openai/gpt-oss-120b", "together", reasoning=True),
    Model("arcee-ai/maestro-reasoning", "together", reasoning=True),
    Model(UNPRICED_MODEL, "together"),
    Model(FREE_MODEL, "openrouter"),
]}
EXPORTS = ["openai", "together", "openrouter"]


@dataclass(frozen=True)
class Feature:
    weight: int
    prompt: tuple[int, int]      # prompt tokens, log-uniform between the two
    completion: tuple[int, int]  # visible completion tokens (reasoning comes on top)
    cache_rate: float            # share of requests that hit a prompt cache
    models: dict[str, int]
    replies: tuple[str, ...]


FEATURES = {
    "chat": Feature(34, (350, 6000), (30, 450), 0.55, {
        "gpt-4o-mini-2024-07-18": 30, CHANGE_MODEL: 24,
        "meta-llama/Llama-4-Scout-17B-16E-Instruct": 10, "Qwen/Qwen3.8-Flash": 9,
        "gpt-4o-2024-08-06": 10, FREE_MODEL: 6, UNPRICED_MODEL: 4,
        "deepseek-ai/DeepSeek-V4.1-Flash": 7},
        ("Sure, here is a short answer.", "Happy to help. Could you share the order number?",
         "Yes. You can change that in Settings > Billing.", "Here are three options to consider.")),
    "search": Feature(22, (1500, 9000), (80, 500), 0.35, {
        "gpt-4o-mini-2024-07-18": 30, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8": 25,
        "deepseek-ai/DeepSeek-V4.1-Flash": 25, "Qwen/Qwen3.7-Plus": 20},
        ("Based on the retrieved documents, the answer is 42 days.",
         "The policy is described in section 3.2 of the handbook.",
         "No matching document was found for that query.")),
    "summarize": Feature(16, (2500, 24000), (120, 800), 0.2, {
        CHANGE_MODEL: 30, "gpt-4o-mini-2024-07-18": 22, "deepseek-ai/DeepSeek-V4.1-Flash": 18,
        "zai-org/GLM-5.3": 10, "Qwen/Qwen3.7-Plus": 15, UNPRICED_MODEL: 5},
        ("Summary: the customer reports a delayed refund; next step is escalation.",
         "Key points: budget approved, launch moved to Q4, two open risks.",
         "The thread agrees on option B; one reviewer asks for more tests.")),
    "codegen": Feature(12, (1200, 12000), (250, 2200), 0.5, {
        "o3-mini-2025-01-31": 30, "openai/gpt-oss-120b": 25, "arcee-ai/maestro-reasoning": 20,
        "gpt-4o-2024-08-06": 15, "zai-org/GLM-5.3": 10},
        ("def total(items):\n    return sum(i.price for i in items)\n",
         "Here is the fix: close the file in a finally block.",
         "SELECT tenant, sum(cost) FROM usage GROUP BY tenant;")),
    "classify": Feature(16, (150, 900), (1, 12), 0.0, {
        "gpt-4o-mini-2024-07-18": 40, "meta-llama/Llama-4-Scout-17B-16E-Instruct": 30,
        "Qwen/Qwen3.8-Flash": 20, FREE_MODEL: 10},
        ('{"label":"billing"}', '{"label":"bug"}', '{"label":"feature_request"}', "spam")),
}

# Hours (UTC) weighted towards the working day of the tenants, weekends quieter.
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 11, 11, 10, 9, 8, 7, 6, 5, 4, 3]
FINGERPRINTS = ["fp_7fcd609668", "fp_b705f0c291", "fp_d8864f8b6b"]
ALNUM = string.ascii_letters + string.digits


def epoch(text: str) -> int:
    """Unix seconds of an ISO date or UTC timestamp."""
    return calendar.timegm(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).utctimetuple())


def utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def month_bounds(month: str) -> tuple[int, int]:
    year, mon = map(int, month.split("-"))
    start = dt.date(year, mon, 1)
    end = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return epoch(start.isoformat()), epoch(end.isoformat())


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Generator:
    """Builds the records of all months from one seeded random stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.users = {tenant: [f"user-{i + 1}{n:03d}" for n in range(15 + 7 * i)]
                      for i, tenant in enumerate(TENANTS)}

    def unique_id(self, model: Model, created: int) -> str:
        rnd = self.rng
        while True:
            if model.export == "openai":
                rid = "chatcmpl-" + "".join(rnd.choices(ALNUM, k=29))
            elif model.export == "together":
                rid = ("".join(rnd.choices(ALNUM, k=7)) + "-" + "".join(rnd.choices(ALNUM, k=6))
                       + "-" + "".join(rnd.choices("0123456789abcdef", k=16)))
            else:
                rid = f"gen-{created}-" + "".join(rnd.choices(ALNUM, k=20))
            if rid not in self.ids:
                self.ids.add(rid)
                return rid

    def timestamp(self, month: str) -> int:
        start, end = month_bounds(month)
        days = (end - start) // 86400
        day_weights = [1.0 if utc(start + d * 86400).weekday() < 5 else 0.45 for d in range(days)]
        day = self.rng.choices(range(days), weights=day_weights)[0]
        hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        return start + day * 86400 + hour * 3600 + self.rng.randrange(3600)

    def tokens(self, feature: Feature, model: Model) -> tuple[int, int, int, int]:
        """prompt, completion, cached (part of prompt), reasoning (part of completion)."""
        rng = self.rng
        prompt = log_uniform(rng, *feature.prompt)
        visible = max(1, log_uniform(rng, *feature.completion))
        reasoning = int(visible * rng.uniform(0.6, 3.0)) + 16 if model.reasoning else 0
        cached = 0
        if model.caches and rng.random() < feature.cache_rate:
            if model.export == "openai" and prompt >= 1024:
                # OpenAI caches a prefix of at least 1,024 tokens, in steps of 128.
                cached = 1024 + 128 * rng.randint(0, (prompt - 1024) // 128)
            elif model.export == "together" and prompt >= 512:
                cached = int(prompt * rng.uniform(0.2, 0.9))
        return prompt, visible + reasoning, cached, reasoning

    def metadata(self, tenant: str, feature: str) -> dict[str, str] | None:
        roll = self.rng.random()
        if roll < 0.003:
            return None
        meta = {"tenant": tenant, "feature": feature,
                "environment": pick(self.rng, ENVIRONMENTS)}
        if roll < 0.023:
            del meta["feature"]
        elif roll < 0.053:
            del meta["environment"]
        return meta

    def record(self, month: str, created: int | None = None, model_name: str | None = None) -> dict:
        rng = self.rng
        created = self.timestamp(month) if created is None else created
        tenant = pick(rng, TENANTS)
        if model_name is None:
            feature_name = pick(rng, {k: f.weight for k, f in FEATURES.items()})
            model_name = pick(rng, FEATURES[feature_name].models)
        else:
            feature_name = next(k for k, f in FEATURES.items() if model_name in f.models)
        feature, model = FEATURES[feature_name], MODELS[model_name]
        prompt, completion, cached, reasoning = self.tokens(feature, model)
        reply = rng.choice(feature.replies)
        rid = self.unique_id(model, created)
        if model.export == "openai":
            rec = self.openai_record(rid, created, model, prompt, completion, cached, reasoning,
                                     reply)
        elif model.export == "together":
            rec = together_record(rid, created, model, prompt, completion, cached, reasoning, reply)
        else:
            rec = openrouter_record(rid, created, model, prompt, completion, reply)
        meta = self.metadata(tenant, feature_name)
        if meta is not None:
            rec["metadata"] = meta
        if rng.random() < 0.98:
            rec["user"] = rng.choice(self.users[tenant])
        return rec

    def openai_record(self, rid: str, created: int, model: Model, prompt: int, completion: int,
                      cached: int, reasoning: int, reply: str) -> dict:
        rng = self.rng
        usage: dict = {"prompt_tokens": prompt, "completion_tokens": completion,
                       "total_tokens": prompt + completion}
        roll = rng.random()
        if roll < 0.04:
            usage["prompt_tokens_details"] = None
        elif roll >= 0.07:
            usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
        if not model.reasoning and rng.random() < 0.04:
            usage["completion_tokens_details"] = None
        else:
            usage["completion_tokens_details"] = {
                "reasoning_tokens": reasoning, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        return {
            "id": rid, "object": "chat.completion", "created": created, "model": model.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply,
                                                 "refusal": None, "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": usage, "service_tier": "default",
            "system_fingerprint": rng.choice(FINGERPRINTS),
        }


def together_record(rid: str, created: int, model: Model, prompt: int, completion: int,
                    cached: int, reasoning: int, reply: str) -> dict:
    """The shape of a recorded api.together.xyz response: cached tokens at usage top level."""
    return {
        "id": rid,
        "choices": [{"finish_reason": "stop", "index": 0, "logprobs": None,
                     "message": {"content": reply, "refusal": None, "role": "assistant",
                                 "tool_calls": []}}],
        "created": created, "model": model.name, "object": "chat.completion",
        "service_tier": None, "system_fingerprint": None,
        "usage": {"completion_tokens": completion, "prompt_tokens": prompt,
                  "total_tokens": prompt + completion,
                  "completion_tokens_details": (
                      {"reasoning_tokens": reasoning} if model.reasoning else None),
                  "prompt_tokens_details": None, "cached_tokens": cached},
    }


def openrouter_record(rid: str, created: int, model: Model, prompt: int, completion: int,
                      reply: str) -> dict:
    return {
        "id": rid, "object": "chat.completion", "created": created, "model": model.name,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    }


def dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


# Edge records: (month, UTC time, model). Month ends, and both sides of the price change.
EDGE_RECORDS = [
    ("2026-08", "2026-08-01T00:00:00Z", "gpt-4o-mini-2024-07-18"),
    ("2026-08", "2026-08-31T23:59:59Z", CHANGE_MODEL),
    ("2026-09", "2026-09-01T00:00:00Z", CHANGE_MODEL),
    ("2026-09", "2026-09-14T23:59:59Z", CHANGE_MODEL),
    ("2026-09", "2026-09-15T00:00:00Z", CHANGE_MODEL),
    ("2026-10", "2026-10-31T23:59:59Z", "gpt-4o-2024-08-06"),
]


def malformed_lines(gen: Generator) -> dict[tuple[str, str], list[tuple[float, str, str]]]:
    """Lines that are not usage rows, by (month, export): (position 0..1, line, why)."""
    truncated = dumps(gen.record("2026-08", model_name="Qwen/Qwen3.7-Plus"))
    chunk = {"id": "chatcmpl-" + "".join(gen.rng.choices(ALNUM, k=29)),
             "object": "chat.completion.chunk", "created": epoch("2026-08-19T10:21:07Z"),
             "model": "gpt-4o-mini-2024-07-18", "service_tier": "default",
             "system_fingerprint": FINGERPRINTS[0],
             "choices": [{"index": 0, "delta": {"content": "Hel"}, "logprobs": None,
                          "finish_reason": None}], "usage": None}
    together_chunk = {"id": "".join(gen.rng.choices(ALNUM, k=7)) + "-stream",
                      "object": "chat.completion.chunk", "created": epoch("2026-09-22T16:02:44Z"),
                      "model": CHANGE_MODEL,
                      "choices": [{"index": 0, "delta": {"role": "assistant", "content": "The"},
                                   "finish_reason": None}], "usage": None}
    no_created = gen.record("2026-10", model_name="gpt-4o-mini-2024-07-18")
    del no_created["created"]
    cut_at_end = dumps(gen.record("2026-10", model_name="Qwen/Qwen3.8-Flash"))
    error = {"error": {"message": "Rate limit exceeded: free-models-per-min", "code": 429}}
    return {
        ("2026-08", "together"): [(0.4, truncated[: len(truncated) * 11 // 20], "truncated JSON")],
        ("2026-08", "openai"): [(0.6, dumps(chunk), "stream chunk with usage null")],
        ("2026-09", "openai"): [(0.3, "<html><head><title>502 Bad Gateway</title></head></html>",
                                 "not JSON")],
        ("2026-09", "together"): [(0.7, dumps(together_chunk), "stream chunk with usage null")],
        ("2026-10", "openai"): [(0.5, dumps(no_created), "no created timestamp")],
        ("2026-10", "openrouter"): [(0.2, dumps(error), "error body, no usage")],
        ("2026-10", "together"): [(1.0, cut_at_end[: len(cut_at_end) // 3],
                                   "truncated last line, no newline")],
    }


def write_gzip(path: Path, lines: list[str], final_newline: bool = True) -> None:
    """gzip with mtime 0 and no file name, so the bytes depend on the content only."""
    text = "\n".join(lines) + ("\n" if final_newline else "")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def read_card(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def prices(row: dict[str, str], model: str) -> bool:
    """Whether a card row names `model` (its exact name or a glob pattern matching it)."""
    return row["model"] == model or fnmatch.fnmatchcase(model, row["model"])


def write_demo_card(path: Path, header: list[str],
                    rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The default card's rows for the sample's models, CHANGE_MODEL's serverless row split at
    CHANGE_AT."""
    marker = "; generated by scripts/make_sample_logs.py - do not edit"
    out: list[dict[str, str]] = []
    for row in rows:
        if not any(prices(row, model) for model in MODELS):
            continue
        row = dict(row, source=row["source"].split(";")[0] + marker)
        if row["model"] == CHANGE_MODEL and row["mode"] in ("", "serverless"):
            old = dict(row, input_per_mtok=OLD_RATE[0], output_per_mtok=OLD_RATE[1],
                       valid_to=CHANGE_AT, source="illustrative earlier rate for the demo"
                       " (not a published price)" + marker)
            out += [old, dict(row, valid_from=CHANGE_AT)]
        else:
            out.append(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    return out


def check_models_against_card(rows: list[dict[str, str]]) -> None:
    """Every sample model has a serverless rate except UNPRICED_MODEL, which has none."""
    if any(prices(row, UNPRICED_MODEL) for row in rows):
        raise SystemExit(f"{UNPRICED_MODEL} is in the card; pick another unpriced model")
    serverless = [row for row in rows if row["mode"] in ("", "serverless")]
    missing = sorted(m for m in set(MODELS) - {UNPRICED_MODEL} if not any(prices(r, m) for r in serverless))
    if missing:
        raise SystemExit(f"sample models without a rate in {DEFAULT_CARD}: {missing}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: sample_logs/)")
    out = parser.parse_args(argv).out.resolve()
    header, card = read_card(DEFAULT_CARD)
    check_models_against_card(card)
    gen = Generator(SEED)
    files: dict[tuple[str, str], list[dict]] = {(m, e): [] for m in MONTHS for e in EXPORTS}
    for month in MONTHS:
        for _ in range(RECORDS_PER_MONTH[month]):
            rec = gen.record(month)
            files[(month, MODELS[rec["model"]].export)].append(rec)
    for month, at, model_name in EDGE_RECORDS:
        rec = gen.record(month, created=epoch(at), model_name=model_name)
        files[(month, MODELS[model_name].export)].append(rec)
    for recs in files.values():
        recs.sort(key=lambda r: (r["created"], r["id"]))
    bad = malformed_lines(gen)

    written: list[Path] = []
    stats = Counter()
    overlap = [dumps(r) for r in files[("2026-08", "openai")][-DUPLICATES:]]
    for (month, export), recs in files.items():
        lines = [dumps(r) for r in recs]
        if (month, export) == ("2026-09", "openai"):
            lines = overlap + lines  # the new export starts where the last one ended
        final_newline = True
        for position, line, _why in bad.get((month, export), []):
            if position >= 1.0:
                lines.append(line)
                final_newline = False
            else:
                lines.insert(int(len(lines) * position), line)
            stats["malformed"] += 1
        path = out / "exports" / month / f"{export}-export-{month}.jsonl.gz"
        write_gzip(path, lines, final_newline)
        written.append(path)
        stats["lines"] += len(lines)
    stats["duplicates"] = DUPLICATES
    all_recs = [r for recs in files.values() for r in recs]
    stats["records"] = len(all_recs)

    demo_card = write_demo_card(out / "rates.csv", header, card)
    by_model = Counter(r["model"] for r in all_recs)
    by_month = Counter(utc(r["created"]).strftime("%Y-%m") for r in all_recs)
    unpriced_tokens = sum(r["usage"]["total_tokens"] for r in all_recs
                          if r["model"] == UNPRICED_MODEL)
    write_readme(out / "README.md", stats, by_model, by_month, unpriced_tokens, bad)

    stray = sorted(p for p in out.rglob("*.jsonl*") if p not in written)
    total_size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    for path in written + [out / "rates.csv", out / "README.md"]:
        print(f"wrote {shown(path)} ({path.stat().st_size:,} bytes)")
    print(f"{stats['records']:,} records, {stats['duplicates']} duplicate lines, "
          f"{stats['malformed']} malformed lines, {stats['lines']:,} lines in all; "
          f"{len(by_model)} models; demo card {len(demo_card)} rates; "
          f"{shown(out)}/ is {total_size:,} bytes")
    if stray:
        print("warning: files not written by this script: "
              + ", ".join(shown(p) for p in stray), file=sys.stderr)
    return 0


def write_readme(path: Path, stats: Counter, by_model: Counter, by_month: Counter,
                 unpriced_tokens: int, bad: dict) -> None:
    months = ", ".join(f"{m}: {by_month[m]:,}" for m in MONTHS)
    notes = {UNPRICED_MODEL: " (no rate: unpriced)", FREE_MODEL: " (free: explicit 0 rate)",
             CHANGE_MODEL: " (price change in rates.csv)"}
    models = "\n".join(f"- `{name}`: {count:,}{notes.get(name, '')}"
                       for name, count in sorted(by_model.items(), key=lambda kv: kv[0].lower()))
    reasons = "\n".join(f"- {m} {e}: {why}" for (m, e), items in sorted(bad.items())
                        for _p, _l, why in items)
    about = (
        "Generated by `python scripts/make_sample_logs.py` (`make regen` runs it, and a test "
        "checks that it reproduces these bytes); do not edit (fixed seed, gzip with "
        "mtime 0: a re-run writes the same bytes). Three months, 2026-08-01 .. 2026-10-31 UTC, of "
        "OpenAI Chat Completions response objects, one JSON object a line, one file per month and "
        "export (`openai`, `together`, `openrouter`), for six tenants (one named `=cmd|calc`, for "
        "CSV neutralisation), five features and two environments; some records lack "
        "`metadata.environment`, `metadata.feature` or `metadata`. Cached tokens are part of "
        "`prompt_tokens` (together.ai reports them at `usage.cached_tokens`), reasoning tokens "
        "part of `completion_tokens`. `rates.csv` is the demo rate card: the rows of "
        "`analyzer/data/default_rates.csv` for the sample's models (no published price of theirs "
        "changes in these months for the serverless default tier the records use), plus an "
        f"illustrative change for `{CHANGE_MODEL}`: "
        f"${OLD_RATE[0]} in / ${OLD_RATE[1]} out per 1M tokens before {CHANGE_AT}, the default "
        f"${rate_of(CHANGE_MODEL, 'input_per_mtok')} / ${rate_of(CHANGE_MODEL, 'output_per_mtok')} "
        "from then on (with records at 23:59:59 and 00:00:00 either side). `make demo` runs "
        "`llm-spend rates load sample_logs/rates.csv`, then `llm-spend ingest sample_logs/exports/`."
    )
    path.write_text(f"""# Sample logs

{textwrap.fill(about, width=100, break_on_hyphens=False)}

- {stats['records']:,} usage records ({months}), in {stats['lines']:,} lines
- {stats['duplicates']} duplicate lines (re-export overlap, they must add nothing): the 2026-09
  openai export starts with the last {stats['duplicates']} records of the 2026-08 one
- {stats['malformed']} malformed lines, which belong in `rejects`:
{textwrap.indent(reasons, "  ")}
- unpriced: `{UNPRICED_MODEL}`, {by_model[UNPRICED_MODEL]:,} requests, {unpriced_tokens:,} tokens
- {len(by_model)} models, requests each:
{textwrap.indent(models, "  ")}
""", encoding="utf-8")


def shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def rate_of(model: str, column: str) -> str:
    _header, rows = read_card(DEFAULT_CARD)
    return next(r[column] for r in rows if r["model"] == model and r["mode"] in ("", "serverless"))


if __name__ == "__main__":
    sys.exit(main())
