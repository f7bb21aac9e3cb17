"""`llm-spend compare`: one workload's monthly cost as serverless, batch, dedicated and GPU cluster."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

from analyzer.cli import Context, lake_options, output_options, wait_option
from analyzer.outputs import emit


def _number(minimum_exclusive: bool, limit: Decimal | None = None):
    def parse(ctx, param, value):
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise click.BadParameter(f"{value!r} is not a number") from None
        if not number.is_finite() or number < 0 or (minimum_exclusive and number == 0):
            raise click.BadParameter(f"{value!r} must be a number {'>' if minimum_exclusive else '>='} 0")
        if limit is not None and number > limit:
            raise click.BadParameter(f"{value!r} is above {limit}")
        return number
    return parse


@click.command()
@click.option("--input-tokens", type=click.IntRange(min=0), help="Input tokens per request (cached included).")
@click.option("--output-tokens", type=click.IntRange(min=0), help="Output tokens per request.")
@click.option("--cached-tokens", type=click.IntRange(min=0), default=0, help="Cached input tokens per request.")
@click.option("--requests", type=click.IntRange(min=0), help="Requests per month.")
@click.option("--input-price", callback=_number(False), help="USD per 1M input tokens (serverless).")
@click.option("--output-price", callback=_number(False), help="USD per 1M output tokens (serverless).")
@click.option("--cached-price", callback=_number(False), help="USD per 1M cached input tokens (default: the input price).")
@click.option("--model", help="Take the model's rates from the store (with --from-usage: only its usage).")
@click.option("--from-usage", is_flag=True, help="Measure the workload: a month of stored usage.")
@click.option("--month", metavar="YYYY-MM", help="With --from-usage: the month measured (default: the latest with usage); "
                                                 "with --capacity: the capacity's month.")
@click.option("--by", type=click.Choice(["model", "feature"]), help="With --from-usage: one comparison per model or feature.")
@click.option("--batch-discount", callback=_number(False, Decimal(1)),
              help="Batch price factor when a model has no batch row (default: the config's, 0.5).")
@click.option("--dedicated-cost", callback=_number(True), metavar="USD", help="Dedicated endpoint, USD a month.")
@click.option("--dedicated-capacity-tokens", type=click.IntRange(min=1),
              help="Tokens (input + output) the endpoint serves a month.")
@click.option("--capacity", "capacity_name", metavar="NAME", help="A loaded capacity (`capacity list`) as an option.")
@click.option("--gpus", type=click.IntRange(min=1), help="GPU cluster: number of GPUs.")
@click.option("--gpu-hours", callback=_number(True, Decimal(744)), help="GPU cluster: hours per GPU in the month.")
@click.option("--gpu-hour-rate", callback=_number(True), metavar="USD", help="GPU cluster: USD per GPU-hour.")
@click.option("--gpu-capacity-tokens", type=click.IntRange(min=1), help="GPU cluster: tokens it serves a month.")
@output_options(("table", "json", "csv"))
@lake_options(engines=False)
@wait_option
@click.pass_obj
def compare(obj: Context, input_tokens, output_tokens, cached_tokens, requests, input_price, output_price,
            cached_price, model, from_usage, month, by, batch_discount, dedicated_cost, dedicated_capacity_tokens,
            capacity_name, gpus, gpu_hours, gpu_hour_rate, gpu_capacity_tokens, fmt, output, wait) -> None:
    """Monthly cost of one workload in every mode, side by side, with break-even request counts.

    Serverless and batch always; dedicated and GPU cluster when given a price. The workload comes
    from flags (tokens per request, requests a month) or from stored usage (--from-usage).

    \b
    Example:
      llm-spend compare --input-tokens 3000 --output-tokens 1000 --requests 2000000 \\
        --input-price 0.90 --output-price 3.30 --dedicated-cost 5000 --dedicated-capacity-tokens 10000000000
      llm-spend compare --from-usage --month 2026-09 --by model --capacity llama-endpoint
    """
    from analyzer import compare as planning

    request = planning.CompareRequest(
        input_tokens=input_tokens, output_tokens=output_tokens, cached_tokens=cached_tokens, requests=requests,
        input_price=input_price, output_price=output_price, cached_price=cached_price, model=model,
        from_usage=from_usage, month=month, by=by,
        batch_discount=batch_discount if batch_discount is not None else obj.config.batch_discount,
        discount_given=batch_discount is not None,
        dedicated=planning.dedicated_offer(dedicated_cost, dedicated_capacity_tokens),
        gpu=planning.gpu_offer(gpus, gpu_hours, gpu_hour_rate, gpu_capacity_tokens),
        capacity_name=capacity_name,
    )
    request.check()
    if request.needs_store:
        with obj.open(read_only=True, wait=wait) as con:
            comparisons = planning.run(request, con)
    else:
        comparisons = planning.run(request, None)
    emit(planning.output(comparisons, grouped=by is not None), fmt, output)

