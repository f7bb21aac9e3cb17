"""A planning or report result: rows as dicts, an optional total, and what it covers, convertible
to Arrow and polars with exact decimal columns (for notebooks) and to the CLI's outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Money and ratios are DECIMAL(38, 18) in Arrow and polars: the scale of priced_usage.cost, and
# enough for every value planning computes (rounded to 18 places, see analyzer.planning).
DECIMAL_PRECISION = 38
DECIMAL_SCALE = 18
# Money columns of planning results: None there shows as "unpriced" (difference: left empty).
MONEY = {"sample_cost", "cost_per_request", "monthly_cost", "current_cost", "whatif_cost", "difference",
         "month_to_date", "trailing_spend", "daily_mean", "projected_month_end"}


@dataclass
class Result:
    """`rows` are plain dicts in `columns` order; `total` has the same keys (group keys empty)."""

    kind: str
    columns: list[str]
    rows: list[dict]
    total: dict | None = None
    meta: dict = field(default_factory=dict)
    decimals: frozenset[str] = frozenset()

    def records(self) -> list[tuple]:
        return [tuple(row.get(name) for name in self.columns) for row in self.rows]

    def as_dict(self) -> dict:
        """The JSON document: what the result covers, its rows and its total."""
        data: dict[str, Any] = dict(self.meta)
        data["rows"] = self.rows
        if self.total is not None:
            data["total"] = self.total
        return data

    def arrow(self, include_total: bool = False):
        """The rows (and the total as a last row if asked) as a pyarrow Table; decimal columns
        are decimal128(38, 18), never floats."""
        import pyarrow as pa

        rows = self.rows + ([self.total] if include_total and self.total is not None else [])
        arrays, fields = [], []
        for name in self.columns:
            values = [row.get(name) for row in rows]
            kind = _arrow_type(pa, name in self.decimals, values)
            if pa.types.is_decimal(kind):
                values = [None if v is None else Decimal(v).quantize(_QUANTUM) for v in values]
            arrays.append(pa.array(values, type=kind))
            fields.append(pa.field(name, kind))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def pl(self, include_total: bool = False):
        """The rows as a polars DataFrame (Decimal(38, 18) money columns)."""
        import polars as pl

        return pl.from_arrow(self.arrow(include_total))

    def __repr__(self) -> str:
        return f"<Result {self.kind}: {len(self.rows)} rows, columns {', '.join(self.columns)}>"


_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)


def _arrow_type(pa, is_decimal: bool, values: list):
    if is_decimal:
        return pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
    present = [v for v in values if v is not None]
    if not present:
        return pa.string()
    first = present[0]
    if isinstance(first, bool):
        return pa.bool_()
    if isinstance(first, int):
        return pa.int64()
    if isinstance(first, datetime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(first, date):
        return pa.date32()
    if isinstance(first, Decimal):
        return pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE)
    return pa.string()


def render_result(result: Result, fmt: str, columns: list[str] | None = None) -> str:
    """JSON: what it covers, `rows` and `total` (decimal strings); CSV: the rows, exact; table:
    the rows (only `columns` if given) and a total line, money rounded for display and
    `unpriced` where unknown."""
    from analyzer import render
    from analyzer.errors import UsageError

    if fmt == "json":
        return render.to_json(result.as_dict())
    if fmt == "csv":
        return render.to_csv(result.columns, result.records())
    if fmt != "table":
        raise UsageError(f"--format {fmt!r}: one of table, csv, json")
    columns = columns or result.columns
    keys = [c for c in columns if c in result.meta.get("by", [])]
    cells = [[render.label(row.get(name)) if name in keys else _cell(name, row.get(name)) for name in columns]
             for row in result.rows]
    if keys and result.total is not None:  # the total line: "total" under the first key
        cells.append(["total" if name == keys[0] else "" if name in keys else _cell(name, result.total.get(name))
                      for name in columns])
    return render.align(columns, cells)


def _cell(name: str, value) -> str:
    from analyzer import render

    if name in MONEY:
        if value is None:
            return "" if name == "difference" else "unpriced"
        return render.money(value)
    if isinstance(value, Decimal):
        return render.exact(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return render.tokens(value)
    return "" if value is None else str(render.json_ready(value))
