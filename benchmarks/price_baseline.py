"""What a user would otherwise do: price each record in Python through genai-prices.

Reads the first SAMPLE lines of an OpenAI chat JSONL file, parses each with `json.loads`, and
prices it with `genai_prices.calc_price(Usage(...), model_ref=...)`. Lines that are not records,
duplicates and models genai-prices does not know are skipped (counted apart). Prints one JSON
object: records/s for parse + price and for price alone; run.py extrapolates to N records and
marks the figure as extrapolated.

    python benchmarks/price_baseline.py benchmarks/data/usage-1000000.jsonl --sample 20000
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

PROVIDERS = {"meta-llama/": "together", "openai/gpt-oss": "together"}


def provider_of(model: str) -> str:
    for prefix, provider in PROVIDERS.items():
        if model.startswith(prefix):
            return provider
    return "openai"


def price_lines(lines: list[str]) -> dict:
    from genai_prices import Usage, calc_price

    priced = unknown = skipped = 0
    total = Decimal(0)
    seen: set[str] = set()
    pricing_seconds = 0.0
    began = time.perf_counter()
    for line in lines:
        try:
            record = json.loads(line)
            usage = record["usage"]
            prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
        except (ValueError, KeyError, TypeError):
            skipped += 1
            continue
        if record["id"] in seen:
            skipped += 1
            continue
        seen.add(record["id"])
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or usage.get("cached_tokens") or 0
        model = record["model"]
        start = time.perf_counter()
        try:
            price = calc_price(Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion),
                               model_ref=model, provider_id=provider_of(model))
            total += price.total_price
            priced += 1
        except LookupError:
            unknown += 1
        pricing_seconds += time.perf_counter() - start
    seconds = time.perf_counter() - began
    handled = priced + unknown
    return {
        "lines": len(lines), "records_priced": priced, "records_unknown_model": unknown, "lines_skipped": skipped,
        "seconds": seconds, "pricing_seconds": pricing_seconds,
        "records_per_second": handled / seconds if seconds else 0.0,
        "pricing_records_per_second": handled / pricing_seconds if pricing_seconds else 0.0,
        "total_price": str(total),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--sample", type=int, default=20_000, help="lines to price (from the start of the file)")
    args = parser.parse_args(argv)
    with open(args.file, encoding="utf-8", errors="replace") as stream:
        lines = list(itertools.islice(stream, args.sample))
    import genai_prices  # noqa: F401  (imported before the clock starts: the loop is what is timed)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = price_lines(lines)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
