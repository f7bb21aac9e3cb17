"""Write the default rate card, analyzer/data/default_rates.csv.

Generated file: do not edit analyzer/data/default_rates.csv by hand. Change the model lists
below and run `python scripts/make_default_rates.py` again.

Prices come from the pricing data bundled with the `genai-prices` package (read offline, no
network), except `arcee-ai/maestro-reasoning`, whose $0.90 / $3.30 per 1M tokens is the worked
example of the together.ai pricing guide that must come out exactly (docs/pricing.md). Every row
says where its price came from (`source`) and when it was checked (`checked_on`); the loader
ignores those two columns. Rows are open-ended (`valid_from` and `valid_to` empty): a dated price
change is a second row, added when the change is published.

A model whose genai-prices entry is not one flat price (date-conditional prices, or tiers by
prompt length) is refused rather than flattened: a person has to decide which rows it becomes.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from genai_prices.data import providers
from genai_prices.types import ModelPrice

HEADER = [
    "model", "mode", "input_per_mtok", "output_per_mtok", "cached_input_per_mtok",
    "cache_write_per_mtok", "valid_from", "valid_to", "currency", "checked_on", "source",
]

# The date the prices below were last reviewed against the sources named in `source`.
CHECKED_ON = "2026-11-28"

# The store keeps rates as DECIMAL(18, 6): a price needing more places is a data error
# (typically a float that leaked into the price data, such as 1.0399999999999998).
RATE_PLACES = Decimal("0.000001")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "analyzer" / "data" / "default_rates.csv"

# Current together.ai serverless models, with genai-prices' `together` provider prices.
TOGETHER_MODELS = [
    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "deepseek-ai/DeepSeek-V4.1-Flash",
    "deepseek-ai/DeepSeek-V4-Pro-0813",
    "Qwen/Qwen3.7-Plus",
    "Qwen/Qwen3.7-Max",
    "Qwen/Qwen3.8-Flash",
    "openai/gpt-oss-120b",
    "moonshotai/Kimi-K3",
    "zai-org/GLM-5.3",
]

# OpenAI models the sample logs use: (genai-prices model id, names a response may carry).
# Responses name the dated snapshot (`gpt-4o-2024-08-06`), and rates match the model name
# exactly, so the card lists the alias and the snapshot the sample logs use.
OPENAI_MODELS = [
    ("gpt-4o", ["gpt-4o", "gpt-4o-2024-08-06"]),
    ("gpt-4o-mini", ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"]),
    ("o3-mini", ["o3-mini", "o3-mini-2025-01-31"]),
]

# Models with an explicit batch row, from genai-prices' `processing: batch` price variant.
OPENAI_BATCH_MODELS = ["gpt-4o-mini"]

# A free model: genai-prices lists it with no charge, so the card says 0 explicitly
# (a model with no row at all is unpriced, which is a different thing).
FREE_MODELS = [("openrouter", "meta-llama/llama-3.3-70b-instruct:free")]

# From the together.ai pricing guide (the worked example in docs/pricing.md), not from genai-prices.
GUIDE_ROWS = [("arcee-ai/maestro-reasoning", Decimal("0.90"), Decimal("3.30"))]
GUIDE_SOURCE = "together.ai pricing guide (worked example)"


@dataclass(frozen=True)
class RateRow:
    """One line of the rate card; prices in USD per 1M tokens, None for an empty cell."""

    model: str
    mode: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None
    source: str


def decimal_text(value: Decimal | None, what: str) -> str:
    """Render a price as a plain decimal string (no exponent), refusing float artefacts."""
    if value is None:
        return ""
    exact = Decimal(str(value))
    if exact != exact.quantize(RATE_PLACES):
        raise SystemExit(f"{what}: {exact} has more than 6 decimal places; refusing to round it")
    if exact < 0:
        raise SystemExit(f"{what}: negative price {exact}")
    return format(exact, "f")


def find_model(provider_id: str, model_id: str):
    """The genai-prices ModelInfo for one model of one provider, or a clear exit."""
    for provider in providers:
        if provider.id == provider_id:
            for model in provider.models:
                if model.id == model_id:
                    return model
            raise SystemExit(f"genai-prices has no model {model_id!r} for provider {provider_id!r}")
    raise SystemExit(f"genai-prices has no provider {provider_id!r}")


def flat_price(price: ModelPrice, what: str, key: str) -> Decimal | None:
    """One token price of a ModelPrice; tiered prices are refused (the card has no tiers)."""
    value = getattr(price, key, None)
    if value is not None and not isinstance(value, Decimal):
        raise SystemExit(f"{what}: {key} is {type(value).__name__}, not one flat price")
    return value


def model_prices(provider_id: str, model_id: str) -> ModelPrice:
    """The single, unconditional price of a model; date-conditional prices are refused."""
    model = find_model(provider_id, model_id)
    if not isinstance(model.prices, ModelPrice):
        raise SystemExit(f"{provider_id}/{model_id}: prices change over time in genai-prices; "
                         "write its effective-dated rows by hand")
    return model.prices


def priced_row(model: str, mode: str, price: ModelPrice, source: str) -> RateRow:
    what = f"{model} ({mode})"
    input_rate = flat_price(price, what, "input_mtok")
    output_rate = flat_price(price, what, "output_mtok")
    if input_rate is None or output_rate is None:
        raise SystemExit(f"{what}: genai-prices has no input or no output price")
    return RateRow(model, mode, input_rate, output_rate,
                   flat_price(price, what, "cache_read_mtok"),
                   flat_price(price, what, "cache_write_mtok"), source)


def batch_variant(provider_id: str, model_id: str) -> ModelPrice:
    """The `processing: batch` price variant of a model."""
    for variant in find_model(provider_id, model_id).price_variants or []:
        if variant.when == {"processing": "batch"}:
            return variant.prices
    raise SystemExit(f"{provider_id}/{model_id}: genai-prices has no batch price")


def build_rows() -> list[RateRow]:
    """All rows of the default card, in the order they are written."""
    snapshot = f"genai-prices {importlib.metadata.version('genai-prices')} snapshot"
    rows: list[RateRow] = []
    for model_id, names in OPENAI_MODELS:
        price = model_prices("openai", model_id)
        for name in names:
            rows.append(priced_row(name, "serverless", price, f"{snapshot}: openai {model_id}"))
    for model_id in OPENAI_BATCH_MODELS:
        price = batch_variant("openai", model_id)
        for name in dict(OPENAI_MODELS)[model_id]:
            rows.append(priced_row(name, "batch", price, f"{snapshot}: openai {model_id} batch"))
    for model_id in TOGETHER_MODELS:
        price = model_prices("together", model_id)
        rows.append(priced_row(model_id, "serverless", price, f"{snapshot}: together"))
    for model_id, input_rate, output_rate in GUIDE_ROWS:
        rows.append(RateRow(model_id, "serverless", input_rate, output_rate, None, None,
                            GUIDE_SOURCE))
    for provider_id, model_id in FREE_MODELS:
        price = model_prices(provider_id, model_id)
        if any(getattr(price, key, None) for key in ("input_mtok", "output_mtok",
                                                     "cache_read_mtok", "cache_write_mtok")):
            raise SystemExit(f"{provider_id}/{model_id} is no longer free in genai-prices")
        rows.append(RateRow(model_id, "serverless", Decimal("0"), Decimal("0"), None, None,
                            f"{snapshot}: {provider_id} (listed with no charge)"))
    keys = [(row.model, row.mode) for row in rows]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise SystemExit(f"duplicate rows: {sorted(duplicates)}")
    return rows


def row_cells(row: RateRow, checked_on: str) -> list[str]:
    what = f"{row.model} ({row.mode})"
    return [
        row.model, row.mode,
        decimal_text(row.input_per_mtok, what), decimal_text(row.output_per_mtok, what),
        decimal_text(row.cached_input_per_mtok, what),
        decimal_text(row.cache_write_per_mtok, what),
        "", "", "USD", checked_on,
        f"{row.source}; generated by scripts/make_default_rates.py - do not edit",
    ]


def write_card(path: Path, rows: list[RateRow], checked_on: str) -> None:
    """Write the card with the header on line 1 and LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow(row_cells(row, checked_on))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the card (default: %(default)s)")
    parser.add_argument("--checked-on", default=CHECKED_ON,
                        help="date the prices were checked, YYYY-MM-DD (default: %(default)s)")
    args = parser.parse_args(argv)
    rows = build_rows()
    write_card(args.output, rows, args.checked_on)
    print(f"wrote {len(rows)} rates to {args.output}")
    for row in rows:
        cached = row.cached_input_per_mtok
        cached = "" if cached is None else f" cached {cached}"
        print(f"  {row.model:<52} {row.mode:<10} in {row.input_per_mtok} "
              f"out {row.output_per_mtok}{cached}  [{row.source}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
