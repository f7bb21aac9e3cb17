"""The Python API: the CLI's reports, estimates and what-ifs for notebooks, without shelling out.

    from analyzer import open_store
    store = open_store("usage.duckdb")                   # read-only by default
    store.report(by="tenant", month="2026-09").pl()      # polars, exact Decimal(38, 18) money
    store.estimate_from_usage(by="feature", month="2026-09", growth=20).arrow()

Every call opens the store, runs the same library function the command runs, and closes it again,
so a notebook left open never holds the file lock the nightly ingest needs.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Sequence

from analyzer.errors import UsageError
from analyzer.results import Result


def open_store(path: str | os.PathLike | None = None, *, read_only: bool = True, config: str | os.PathLike | None = None,
               wait: float = 0) -> Store:
    """The store at `path` (default as the CLI: $LLM_SPEND_DB, the config's `db`, ./usage.duckdb).

    Read-only unless `read_only=False` (which also lets an old store upgrade its schema); `wait`
    seconds of retry while another process holds the file, as `--wait`.
    """
    from analyzer.config import load_config
    from analyzer.store import db_path

    settings = load_config(config)
    return Store(db_path(path, settings.db), settings, read_only=read_only, wait=wait)


def _by(by: str | Sequence[str] | None) -> list[str]:
    from analyzer.reports import parse_by

    if by is None:
        return []
    return parse_by(by if isinstance(by, str) else ",".join(by))


def _day(value: date | str | None, name: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _filter(month: str | None, since, until, tenant: str | None = None):
    from analyzer.reports import make_filter

    return make_filter(month, _day(since, "since"), _day(until, "until"), tenant)


def _where(where):
    from analyzer.planning import Where

    if isinstance(where, Where):
        return where
    return Where.parse(where) if isinstance(where, str) or where is None else Where.of(where)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class Store:
    """One llm-spend store; each method returns a `Result` (`.rows`, `.total`, `.pl()`, `.arrow()`)."""

    def __init__(self, path: Path, config, *, read_only: bool = True, wait: float = 0, lake: str | Path | None = None,
                 engine: str = "duckdb", spark_master: str | None = None):
        self.path = Path(path)
        self.config = config
        self.read_only = read_only
        self.wait = wait
        self.lake = lake  # a Parquet lake (llm-spend export --lake) read instead of the store
        self.engine = engine  # "spark": the lake's queries run on a SparkSession (README "When one machine is not enough")
        self.spark_master = spark_master

    def __repr__(self) -> str:
        return f"<Store {self.path} {'read-only' if self.read_only else 'read-write'}>"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        return None  # nothing held between calls

    @contextlib.contextmanager
    def connection(self) -> Iterator:
        """A DuckDB connection to the store (or lake) for the length of a `with` block (closed
        after); with engine "spark", a Spark connection over the lake."""
        from analyzer.store import open_lake
        from analyzer.store import open_store as open_duckdb

        if self.lake is not None or self.engine != "duckdb":
            with open_lake(self.lake, engine=self.engine, master=self.spark_master,
                           extra={"memory_limit": self.config.memory_limit}) as con:
                yield con
            return
        with open_duckdb(self.path, read_only=self.read_only, wait=self.wait,
                         extra={"memory_limit": self.config.memory_limit}) as con:
            yield con

    def report(self, by: str | Sequence[str] | None = ("tenant", "feature", "model"), period: str = "month",
               month: str | None = None, since: date | str | None = None, until: date | str | None = None,
               tenant: str | None = None) -> Result:
        """`llm-spend report`: spend per period and dimension; `.total` holds the totals and
        `.meta["unpriced"]` the unpriced usage, per model and mode."""
        from analyzer.reports import build_report

        flt = _filter(month, since, until, tenant)
        with self.connection() as con:
            report = build_report(con, _by(by), period, flt)
        return Result("report", report.data_columns, report.rows, report.totals,
                      {"period": report.period, "by": report.by, "filter": flt.params, "currency": report.currency,
                       "unpriced": report.unpriced, "capacity": report.capacity}, frozenset({"cost"}))

    def estimate(self, *, input_tokens: int, output_tokens: int, requests: int, model: str | None = None,
                 input_price: Decimal | str | None = None, output_price: Decimal | str | None = None,
                 mode: str = "serverless") -> Result:
        """`llm-spend estimate`: one workload at given prices (USD per 1M) or a model's stored rates."""
        from analyzer import estimate as workload_pricing

        if model and (input_price is not None or output_price is not None):
            raise UsageError("give model or input_price/output_price, not both")
        workload = {"mode": mode, "input_tokens": input_tokens, "output_tokens": output_tokens, "requests": requests}
        if model:
            with self.connection() as con:
                result = workload_pricing.estimate(con, model=model, **workload)
        elif input_price is None or output_price is None:
            raise UsageError("give model, or both input_price and output_price")
        else:
            result = workload_pricing.estimate_from_prices(
                input_per_mtok=Decimal(str(input_price)), output_per_mtok=Decimal(str(output_price)),
                discount=self.config.batch_discount, **workload)
        data = result.as_dict()
        return Result("estimate", list(data), [data], None, {},
                      frozenset(k for k, v in data.items() if isinstance(v, Decimal)))

    def estimate_from_usage(self, *, by: str | Sequence[str] | None = None, month: str | None = None,
                            since: date | str | None = None, until: date | str | None = None,
                            where: str | dict | None = None, requests: int | None = None,
                            growth: Decimal | str | int | None = None) -> Result:
        """`llm-spend estimate --from-usage`: per group, measured tokens and cost per request, and
        the monthly cost for `requests` requests or the measured month grown by `growth` percent."""
        from analyzer.planning import estimate_from_usage

        flt = _filter(month, since, until)
        with self.connection() as con:
            return estimate_from_usage(con, by=_by(by), flt=flt, where=_where(where), requests=requests,
                                       growth=None if growth is None else Decimal(str(growth)))

    def whatif(self, *, as_model: str | None = None, mode: str | None = None, provider: str | None = None,
               rates: str | os.PathLike | None = None, by: str | Sequence[str] | None = None, month: str | None = None,
               since: date | str | None = None, until: date | str | None = None,
               where: str | dict | None = None) -> Result:
        """`llm-spend whatif`: the usage re-priced as `as_model` / in `mode` / with the card `rates`
        (a CSV path, not loaded), per group, with today's cost and the difference."""
        from analyzer.whatif import whatif

        flt = _filter(month, since, until)
        with self.connection() as con:
            return whatif(con, by=_by(by), flt=flt, where=_where(where), as_model=as_model, mode=mode,
                          provider=provider, rates=Path(rates) if rates else None)

    def compare(self, **flags) -> Result:
        """`llm-spend compare`: one workload's monthly cost in every mode. Keyword arguments are the
        command's flags (input_tokens, output_tokens, cached_tokens, requests, input_price,
        output_price, cached_price, model, from_usage, month, by, batch_discount, capacity_name,
        dedicated=(cost, capacity_tokens), gpu=(gpus, gpu_hours, gpu_hour_rate[, capacity_tokens])).
        Rows: one per workload group and mode; `.meta["comparisons"]` is the command's JSON."""
        from analyzer import compare as capacity_compare
        from analyzer.compare_output import MODE_COLUMNS

        dedicated_cost, dedicated_tokens = flags.pop("dedicated", None) or (None, None)
        gpus, gpu_hours, gpu_rate, gpu_tokens = (*(flags.pop("gpu", None) or ()), None, None, None, None)[:4]
        exact = {k: _decimal(v) for k, v in flags.items()
                 if k in ("input_price", "output_price", "cached_price", "batch_discount")}
        given = exact.get("batch_discount")
        request = capacity_compare.CompareRequest(
            **flags | exact | {"batch_discount": self.config.batch_discount if given is None else given,
                               "discount_given": given is not None},
            dedicated=capacity_compare.dedicated_offer(_decimal(dedicated_cost), dedicated_tokens),
            gpu=capacity_compare.gpu_offer(gpus, _decimal(gpu_hours), _decimal(gpu_rate), gpu_tokens))
        request.check()
        if request.needs_store:
            with self.connection() as con:
                comparisons = capacity_compare.run(request, con)
        else:
            comparisons = capacity_compare.run(request, None)
        keys = list(dict.fromkeys(k for c in comparisons for k in c.workload.group))
        rows = [{k: c.workload.group.get(k) for k in keys} | {"month": c.workload.month, **m.as_dict()}
                for c in comparisons for m in c.modes]
        return Result("compare", [*keys, "month", *MODE_COLUMNS], rows, None,
                      {"by": keys, "comparisons": [c.as_dict() for c in comparisons]},
                      frozenset({"monthly_cost", "effective_per_mtok", "utilisation"}))

    def projection(self, *, by: str | Sequence[str] | None = None, as_of: date | str | None = None,
                   where: str | dict | None = None, tenant: str | None = None) -> Result:
        """Month-to-date spend and the projected month end (see analyzer.projection for the method)."""
        from analyzer.projection import month_end_projection

        with self.connection() as con:
            return month_end_projection(con, by=_by(by), as_of=_day(as_of, "as_of"), where=_where(where),
                                        tenant=tenant)
