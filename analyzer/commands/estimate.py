"""`llm-spend estimate`: what a workload costs per request and per month."""

from __future__ import annotations

from decimal import Decimal

import click

from analyzer.cli import Context, lake_options, output_options, wait_option
from analyzer.commands.planning import USAGE_FLAGS, estimate_from_usage, from_usage_options
from analyzer.errors import UsageError
from analyzer.modes import ESTIMATE_MODES
from analyzer.outputs import Result, emit


def _decimal(ctx, param, value):
    if value is None:
        return None
    from analyzer.money import rate_problem

    problem = rate_problem(value)  # the rate card's own check: exact, 12 places, below 1,000,000
    if problem:
        raise click.BadParameter(f"{value!r} {problem}")
    return Decimal(value)


@click.command()
@click.option("--model", help="Take the rates in force now from the store.")
@click.option("--input-price", callback=_decimal, help="USD per 1M input tokens.")
@click.option("--output-price", callback=_decimal, help="USD per 1M output tokens.")
@click.option("--input-tokens", type=click.IntRange(min=0), help="Input tokens per request.")
@click.option("--output-tokens", type=click.IntRange(min=0), help="Output tokens per request.")
@click.option("--requests", type=click.IntRange(min=0), help="Requests per month (per group with --from-usage).")
@click.option("--mode", type=click.Choice(ESTIMATE_MODES), default="serverless", show_default=True)
@from_usage_options
@output_options(("table", "csv", "json"))
@lake_options()
@wait_option
@click.pass_obj
def estimate(obj: Context, model, input_price, output_price, input_tokens, output_tokens, requests, mode,
             from_usage, fmt, output, wait, **usage_options) -> None:
    """What a workload costs per request and per month, from given tokens or measured usage.

    Example: llm-spend estimate --input-price 0.90 --output-price 3.30 --input-tokens 3000
    --output-tokens 1000 --requests 2000000 --mode batch

    Example: llm-spend estimate --from-usage --by feature --month 2026-09 --growth 20
    """
    from analyzer import estimate as planning

    if from_usage:
        given = {"--model": model, "--input-price": input_price, "--output-price": output_price,
                 "--input-tokens": input_tokens, "--output-tokens": output_tokens}
        clash = [flag for flag, value in given.items() if value is not None]
        if clash or mode != "serverless":
            raise UsageError(f"--from-usage measures tokens and prices from the store: drop {', '.join(clash) or '--mode'}")
        return emit(estimate_from_usage(obj, requests=requests, wait=wait, **usage_options), fmt, output)
    if obj.engine == "spark":
        raise UsageError("--engine spark is for --from-usage (a workload priced from given tokens runs on DuckDB: "
                         "drop --engine spark)")
    used = [USAGE_FLAGS[name] for name, value in usage_options.items() if value is not None]
    if used:
        raise UsageError(f"{used[0]} needs --from-usage")
    if input_tokens is None or output_tokens is None or requests is None:
        raise UsageError("give --input-tokens, --output-tokens and --requests (or --from-usage)")
    if fmt == "csv":
        raise UsageError("--format csv is for --from-usage; use table or json")
    if model and (input_price is not None or output_price is not None):
        raise UsageError("give --model or --input-price/--output-price, not both")
    workload = {"mode": mode, "input_tokens": input_tokens, "output_tokens": output_tokens, "requests": requests}
    if model:
        with obj.open(read_only=True, wait=wait) as con:
            result = planning.estimate(con, model=model, **workload)
    elif input_price is None or output_price is None:
        raise UsageError("give --model, or both --input-price and --output-price")
    else:
        result = planning.estimate_from_prices(input_per_mtok=input_price, output_per_mtok=output_price,
                                               discount=obj.config.batch_discount, **workload)
    emit(estimate_result(result.as_dict()), fmt, output)


def estimate_result(data: dict) -> Result:
    """JSON: the estimate as it is (exact decimals); table: one line per item, money rounded for display."""
    from analyzer import render

    rows = [(k, render.money(v) if k.endswith("cost") or k.endswith("request") else
             (render.exact(v) if isinstance(v, Decimal) else v)) for k, v in data.items()]
    return Result(["item", "value"], [(k, "" if v is None else str(v)) for k, v in rows], document=data)
