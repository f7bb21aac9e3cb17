"""`compare`: one workload's monthly cost in every deployment mode, side by side, with break-even.

Serverless and batch are priced per token; dedicated endpoints and GPU clusters cost a fixed
amount a month (README "Compare"). All arithmetic is exact (Decimal and Fraction); the quotients
shown (effective $/1M, utilisation, tokens per request) are rounded half up at 18 places.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from analyzer.errors import BadInput, UsageError

MILLION = 1_000_000
PLACES = Decimal("1e-18")
CAPACITY_MODES = ("dedicated", "gpu_cluster")


def quotient(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """numerator / denominator rounded half up at 18 decimal places (exact below that)."""
    value = Fraction(Decimal(numerator)) / Fraction(Decimal(denominator))
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Prices:
    """USD per 1M tokens; a missing cached price bills cached tokens at the input price."""

    input: Decimal
    output: Decimal
    cached: Decimal | None = None

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
        cached_rate = self.input if self.cached is None else self.cached
        with localcontext() as ctx:
            ctx.prec = 80
            return ((input_tokens - cached_tokens) * self.input + cached_tokens * cached_rate
                    + output_tokens * self.output) / MILLION

    def scaled(self, factor: Decimal) -> Prices:
        return Prices(self.input * factor, self.output * factor, None if self.cached is None else self.cached * factor)


@dataclass(frozen=True)
class Workload:
    """A month of traffic: requests and token totals (input includes cached), with its serverless
    and batch cost (None when its rates are unknown)."""

    requests: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    serverless_cost: Decimal | None
    batch_cost: Decimal | None
    source: str = "flags"  # or "usage"
    group: dict = field(default_factory=dict)
    month: str | None = None
    model: str | None = None
    prices: Prices | None = None
    batch_discount: Decimal | None = None

    @property
    def tokens(self) -> int:
        """Tokens served: input + output (what capacity is measured in)."""
        return self.input_tokens + self.output_tokens

    def per_request(self, total: int) -> Decimal | None:
        return quotient(total, self.requests) if self.requests else None

    def as_dict(self) -> dict:
        data = {
            "source": self.source, "month": self.month, **self.group, "model": self.model,
            "requests": self.requests,
            "input_tokens_per_request": self.per_request(self.input_tokens),
            "cached_tokens_per_request": self.per_request(self.cached_tokens),
            "output_tokens_per_request": self.per_request(self.output_tokens),
            "input_tokens": self.input_tokens, "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens, "tokens": self.tokens,
        }
        if self.prices is not None:
            data |= {"input_price": self.prices.input, "output_price": self.prices.output,
                     "cached_price": self.prices.cached}
        data["batch_discount"] = self.batch_discount
        return data


def flags_workload(*, input_tokens: int, output_tokens: int, requests: int, cached_tokens: int = 0,
                   prices: Prices | None = None, batch_discount: Decimal = Decimal("0.5"),
                   model: str | None = None, serverless_cost: Decimal | None = None,
                   batch_cost: Decimal | None = None) -> Workload:
    """A workload from flags: tokens per request x requests a month. With `prices`, serverless
    is priced by them and batch by them x the discount; else the costs come priced (store rates)."""
    if cached_tokens > input_tokens:
        raise UsageError("--cached-tokens cannot exceed --input-tokens (cached tokens are part of the input)")
    totals = (input_tokens * requests, cached_tokens * requests, output_tokens * requests)
    if prices is not None:
        serverless_cost = prices.cost(*totals)
        batch_cost = prices.scaled(batch_discount).cost(*totals)
    return Workload(requests, totals[0], totals[1], totals[2], serverless_cost, batch_cost,
                    model=model, prices=prices, batch_discount=batch_discount)


@dataclass(frozen=True)
class Offer:
    """A capacity priced by the month: a dedicated endpoint or a GPU cluster."""

    mode: str
    monthly_cost: Decimal
    capacity_tokens: int | None = None
    capacity: str | None = None  # the loaded capacity's name, for --capacity NAME


def gpu_offer(gpus: int | None, gpu_hours: Decimal | None, gpu_hour_rate: Decimal | None,
              capacity_tokens: int | None = None) -> Offer | None:
    """--gpus/--gpu-hours/--gpu-hour-rate: all three or none (a part of the triple is an error)."""
    given = {"--gpus": gpus, "--gpu-hours": gpu_hours, "--gpu-hour-rate": gpu_hour_rate}
    missing = [name for name, value in given.items() if value is None]
    if len(missing) == 3:
        if capacity_tokens is not None:
            raise UsageError("--gpu-capacity-tokens needs --gpus, --gpu-hours and --gpu-hour-rate")
        return None
    if missing:
        raise UsageError(f"--gpus, --gpu-hours and --gpu-hour-rate go together: {', '.join(missing)} missing")
    return Offer("gpu_cluster", gpus * gpu_hours * gpu_hour_rate, capacity_tokens)


def dedicated_offer(cost: Decimal | None, capacity_tokens: int | None) -> Offer | None:
    """--dedicated-cost with --dedicated-capacity-tokens (both or neither)."""
    if cost is None and capacity_tokens is None:
        return None
    if cost is None or capacity_tokens is None:
        raise UsageError("--dedicated-cost and --dedicated-capacity-tokens go together")
    return Offer("dedicated", cost, capacity_tokens)


@dataclass(frozen=True)
class ModeCost:
    mode: str
    monthly_cost: Decimal | None
    effective_per_mtok: Decimal | None
    capacity: str | None = None
    capacity_tokens: int | None = None
    utilisation: Decimal | None = None
    fits: bool | None = None
    break_even_requests: int | None = None

    def as_dict(self) -> dict:
        return {"mode": self.mode, "capacity": self.capacity, "monthly_cost": self.monthly_cost,
                "effective_per_mtok": self.effective_per_mtok, "capacity_tokens": self.capacity_tokens,
                "utilisation": self.utilisation, "fits": self.fits, "break_even_requests": self.break_even_requests}


@dataclass(frozen=True)
class Comparison:
    workload: Workload
    modes: list[ModeCost]

    def as_dict(self) -> dict:
        return {"workload": self.workload.as_dict(), "modes": [m.as_dict() for m in self.modes]}

    def cheapest(self) -> tuple[ModeCost, ModeCost | None] | None:
        """The cheapest priced mode that fits, and what it is compared with: serverless, or (when
        serverless is the cheapest) the runner-up. None when nothing is priced."""
        ranked = sorted((m for m in self.modes if m.monthly_cost is not None and m.fits is not False),
                        key=lambda m: m.monthly_cost)
        if not ranked:
            return None
        best = ranked[0]
        serverless = next((m for m in self.modes if m.mode == "serverless" and m.monthly_cost is not None), None)
        other = serverless if serverless is not None and serverless is not best else (ranked[1] if len(ranked) > 1 else None)
        return best, other


def effective_per_mtok(cost: Decimal | None, tokens: int) -> Decimal | None:
    """USD per 1M tokens served: cost / (tokens / 1M)."""
    if cost is None or tokens == 0:
        return None
    return quotient(cost * MILLION, tokens)


def break_even_requests(capacity_cost: Decimal, workload: Workload) -> int | None:
    """The smallest whole number of requests a month, at the workload's tokens per request, at
    which the capacity costs no more than serverless: ceil(capacity cost / serverless cost per
    request). None when serverless costs nothing or is unknown."""
    if not workload.serverless_cost or not workload.requests:
        return None
    per_request = Fraction(workload.serverless_cost) / workload.requests
    return math.ceil(Fraction(capacity_cost) / per_request)


def compare(workload: Workload, offers: list[Offer]) -> Comparison:
    """Serverless and batch always; then each capacity offer with utilisation, fit and break-even."""
    modes = [
        ModeCost("serverless", workload.serverless_cost, effective_per_mtok(workload.serverless_cost, workload.tokens)),
        ModeCost("batch", workload.batch_cost, effective_per_mtok(workload.batch_cost, workload.tokens)),
    ]
    for offer in offers:
        known = offer.capacity_tokens is not None
        modes.append(ModeCost(
            offer.mode, offer.monthly_cost, effective_per_mtok(offer.monthly_cost, workload.tokens),
            capacity=offer.capacity, capacity_tokens=offer.capacity_tokens,
            utilisation=quotient(workload.tokens, offer.capacity_tokens) if known else None,
            fits=workload.tokens <= offer.capacity_tokens if known else None,
            break_even_requests=break_even_requests(offer.monthly_cost, workload),
        ))
    return Comparison(workload, modes)


@dataclass
class CompareRequest:
    """What `compare` was asked, checked as a whole before anything is read."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    requests: int | None = None
    input_price: Decimal | None = None
    output_price: Decimal | None = None
    cached_price: Decimal | None = None
    model: str | None = None
    from_usage: bool = False
    month: str | None = None
    by: str | None = None
    batch_discount: Decimal = Decimal("0.5")
    discount_given: bool = False
    dedicated: Offer | None = None
    gpu: Offer | None = None
    capacity_name: str | None = None

    @property
    def prices(self) -> Prices | None:
        if self.input_price is None:
            return None
        return Prices(self.input_price, self.output_price, self.cached_price)

    @property
    def needs_store(self) -> bool:
        return self.from_usage or self.model is not None or self.capacity_name is not None

    def check(self) -> None:
        """Flag combinations; a bad one is a UsageError (exit 2)."""
        if (self.input_price is None) != (self.output_price is None):
            raise UsageError("--input-price and --output-price go together")
        if self.cached_price is not None and self.input_price is None:
            raise UsageError("--cached-price needs --input-price and --output-price")
        if self.model and self.input_price is not None and not self.from_usage:
            raise UsageError("give --model or --input-price/--output-price, not both")
        workload_flags = [name for name, value in (("--input-tokens", self.input_tokens),
                          ("--output-tokens", self.output_tokens), ("--requests", self.requests)) if value is not None]
        if self.from_usage:
            if workload_flags or self.cached_tokens:
                raise UsageError(f"--from-usage measures the workload: drop {', '.join(workload_flags) or '--cached-tokens'}")
            if self.by and self.model:
                raise UsageError("give --model or --by with --from-usage, not both")
        else:
            if len(workload_flags) < 3:
                missing = {"--input-tokens", "--output-tokens", "--requests"} - set(workload_flags)
                raise UsageError(f"give {', '.join(sorted(missing))} (or --from-usage)")
            if self.by:
                raise UsageError("--by needs --from-usage")
            if self.input_price is None and not self.model:
                raise UsageError("give --model, or --input-price and --output-price")
        if self.month is not None:
            from analyzer.capacity import parse_month

            try:
                parse_month(self.month)
            except ValueError:
                raise UsageError(f"--month {self.month!r} is not YYYY-MM") from None


def run(request: CompareRequest, con) -> list[Comparison]:
    """Build the workload(s), the capacity offers, and compare each workload in every mode."""
    from analyzer.capacity import find_capacity, parse_month

    offers = [o for o in (request.dedicated, request.gpu) if o is not None]
    if request.capacity_name is not None:
        row = find_capacity(con, request.capacity_name, parse_month(request.month) if request.month else None)
        offers.append(Offer(row["kind"], row["spend"], row["capacity_tokens"], f"{row['name']} {row['month']}"))
    if request.from_usage:
        workloads = measured_workloads(con, request)
    elif request.prices is not None:
        workloads = [flags_workload(input_tokens=request.input_tokens, output_tokens=request.output_tokens,
                                    requests=request.requests, cached_tokens=request.cached_tokens,
                                    prices=request.prices, batch_discount=request.batch_discount)]
    else:
        workloads = [store_priced_workload(con, request)]
    return [compare(w, offers) for w in workloads]


def output(comparisons: list[Comparison], grouped: bool = False):
    """The output Result (analyzer.compare_output, rendered by analyzer.outputs)."""
    from analyzer.compare_output import comparisons_result

    return comparisons_result(comparisons, grouped)


def store_priced_workload(con, request: CompareRequest) -> Workload:
    """A workload from flags priced by the store's rates for --model (in force now), by the one
    pricing rule: serverless, and batch (its batch row, else serverless x the discount)."""
    from analyzer.estimate import estimate

    costs = {}
    for mode in ("serverless", "batch"):
        result = estimate(con, model=request.model, mode=mode, input_tokens=request.input_tokens,
                          output_tokens=request.output_tokens, cached_input_tokens=request.cached_tokens,
                          requests=request.requests,
                          discount=request.batch_discount if request.discount_given else None)
        costs[mode] = result.monthly_cost
    return flags_workload(input_tokens=request.input_tokens, output_tokens=request.output_tokens,
                          requests=request.requests, cached_tokens=request.cached_tokens, model=request.model,
                          serverless_cost=costs["serverless"], batch_cost=costs["batch"],
                          batch_discount=request.batch_discount if request.discount_given else None)


def measured_workloads(con, request: CompareRequest) -> list[Workload]:
    """One workload per group of a month's stored usage: its requests and token totals, priced by
    the given prices, else by the store's rates (each request at its own model's rate in force)."""
    from analyzer.capacity import parse_month
    from analyzer.reports import make_filter
    from analyzer.sqlfiles import query, records, scalar

    month = request.month or scalar(con, "compare_latest_month")
    if month is None:
        raise BadInput("--from-usage: the store has no usage")
    flt = make_filter(month)
    parse_month(month)
    con.execute(query("create_compare_usage"), {"since": flt.since, "until": flt.until, "model": request.model})
    con.execute(query("create_compare_modes"))
    groups = records(con, "compare_groups", {"by": request.by, "discount": request.batch_discount
                                             if request.discount_given else None})
    groups = [g for g in groups if g["requests"]]
    if not groups:
        raise BadInput(f"--from-usage: no usage in {month}" + (f" for model {request.model!r}" if request.model else ""))
    workloads = []
    for g in groups:
        totals = (g["input_tokens"], g["cached_tokens"], g["output_tokens"])
        if request.prices is not None:
            serverless, batch = request.prices.cost(*totals), request.prices.scaled(request.batch_discount).cost(*totals)
        elif g["unpriced_models"]:
            raise BadInput(f"--from-usage: {g['unpriced_models']} in {month} have no serverless rate; "
                             "give --input-price and --output-price")
        else:
            serverless, batch = g["serverless_cost"], g["batch_cost"]
        workloads.append(Workload(
            g["requests"], *totals, serverless, batch, source="usage",
            group={request.by: g["grp"]} if request.by else {}, month=month, model=request.model,
            prices=request.prices,
            batch_discount=request.batch_discount if request.prices is not None or request.discount_given else None))
    return workloads
