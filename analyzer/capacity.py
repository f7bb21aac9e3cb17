"""Capacity: dedicated endpoints and GPU clusters, a fixed spend per month allocated to usage.

A capacity file (CSV, README "Capacity") is validated whole and replaces the store's capacities
in one transaction. How the spend is shared between usage rows and idle is SQL
(queries/views/capacity.sql); this module reads the file and the results.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from analyzer.errors import BadInput, UsageError
from analyzer.sqlfiles import query, records, table
from analyzer.store import transaction

CAPACITY_COLUMNS = ("name", "kind", "models", "month", "monthly_cost", "gpus", "gpu_hours",
                    "gpu_hour_rate", "capacity_tokens")
KINDS = ("dedicated", "gpu_cluster")
GPU_TRIPLE = ("gpus", "gpu_hours", "gpu_hour_rate")
MAX_DECIMALS = 6
MAX_SPEND = Decimal(1_000_000_000)  # USD per capacity and month; keeps the exact allocation inside HUGEINT
MAX_HOURS = Decimal(744)  # 31 days x 24 h: gpu_hours are hours per GPU in one month
MAX_TOKENS = 10**15
COSTS_COLUMNS = ("name", "kind", "month", "models", "spend", "capacity_tokens", "tokens", "effective_per_mtok",
                 "utilisation", "allocated_cost", "idle_cost")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Capacity:
    name: str
    kind: str
    models: tuple[str, ...]
    month: date
    monthly_cost: Decimal | None
    gpus: int | None
    gpu_hours: Decimal | None
    gpu_hour_rate: Decimal | None
    capacity_tokens: int | None
    spend: Decimal
    file_line: int


class CapacityFileError(BadInput):
    """A capacity file refused whole. Exit code 2, as the capacity issue fixes for bad capacity
    input (the same code `compare` gives a bad capacity flag)."""

    exit_code = 2

    def __init__(self, path: Path, line: int | None, reason: str):
        where = f" line {line}" if line is not None else ""
        super().__init__(f"capacity file {path}{where}: {reason}; no capacities changed")


def parse_month(text: str) -> date:
    """YYYY-MM (a UTC month, 2000-2099) as its first day; ValueError with the reason otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2099:
        raise ValueError(f"month {text.strip()!r} is not YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def positive_number(text: str, column: str, *, places: int = MAX_DECIMALS, limit: Decimal | None = None) -> Decimal:
    """A number > 0 with at most `places` decimals (and below `limit`); ValueError with the reason."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{column} {text.strip()!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{column} {text.strip()!r} must be a number > 0")
    if -value.as_tuple().exponent > places:
        raise ValueError(f"{column} {text.strip()!r} has more than {places} decimal places")
    if limit is not None and value > limit:
        raise ValueError(f"{column} {text.strip()!r} is above {limit:,}")
    return value


def positive_integer(text: str, column: str, limit: int = MAX_TOKENS) -> int:
    """A whole number > 0 (and at most `limit`); ValueError with the reason."""
    value = positive_number(text, column, places=0, limit=Decimal(limit))
    return int(value)


def gpu_spend(gpus: int, gpu_hours: Decimal, gpu_hour_rate: Decimal) -> Decimal:
    """GPU-cluster spend for a month: GPUs x hours per GPU x USD per GPU-hour (exact)."""
    return gpus * gpu_hours * gpu_hour_rate


def read_capacity_file(path: Path) -> list[Capacity]:
    """Parse and validate a whole capacity file; the first problem is a CapacityFileError."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CapacityFileError(path, None, exc.strerror or "cannot be read") from None
    with handle:
        try:
            rows = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CapacityFileError(path, 1, f"not a CSV file ({exc})") from None
    if not rows:
        raise CapacityFileError(path, 1, "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if tuple(header[: len(CAPACITY_COLUMNS)]) != CAPACITY_COLUMNS:
        raise CapacityFileError(path, 1, "header must start with " + ",".join(CAPACITY_COLUMNS))
    capacities = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            capacities.append(_parse_row(row, number))
        except ValueError as exc:
            raise CapacityFileError(path, number, str(exc)) from None
    if not capacities:
        raise CapacityFileError(path, 2, "the file has no capacities")
    _check_together(capacities, path)
    return capacities


def _parse_row(row: list[str], line: int) -> Capacity:
    if len(row) < len(CAPACITY_COLUMNS):
        raise ValueError(f"expected at least {len(CAPACITY_COLUMNS)} columns, found {len(row)}")
    cells = {name: cell.strip() for name, cell in zip(CAPACITY_COLUMNS, row)}
    if not cells["name"]:
        raise ValueError("name is empty")
    kind = cells["kind"].lower()
    if kind not in KINDS:
        raise ValueError(f"kind {cells['kind']!r} is not one of {', '.join(KINDS)}")
    models = [m.strip() for m in cells["models"].split(";")]
    if not cells["models"] or any(not m for m in models):
        raise ValueError("models must be model names separated by ';' (none may be empty)")
    if len(set(models)) != len(models):
        raise ValueError("models names a model twice")
    month = parse_month(cells["month"])
    triple = {name: cells[name] for name in GPU_TRIPLE}
    given = [name for name, text in triple.items() if text]
    monthly_cost = gpus = gpu_hours = gpu_hour_rate = None
    if cells["monthly_cost"] and given:
        raise ValueError("give monthly_cost or gpus, gpu_hours and gpu_hour_rate, not both")
    if cells["monthly_cost"]:
        monthly_cost = positive_number(cells["monthly_cost"], "monthly_cost", limit=MAX_SPEND)
        spend = monthly_cost
    elif not given:
        raise ValueError("give monthly_cost, or gpus, gpu_hours and gpu_hour_rate")
    elif len(given) < len(GPU_TRIPLE):
        missing = ", ".join(name for name in GPU_TRIPLE if name not in given)
        raise ValueError(f"gpus, gpu_hours and gpu_hour_rate go together: {missing} missing")
    else:
        gpus = positive_integer(triple["gpus"], "gpus", limit=1_000_000)
        gpu_hours = positive_number(triple["gpu_hours"], "gpu_hours", limit=MAX_HOURS)
        gpu_hour_rate = positive_number(triple["gpu_hour_rate"], "gpu_hour_rate", limit=Decimal(100_000))
        spend = gpu_spend(gpus, gpu_hours, gpu_hour_rate)
        if spend > MAX_SPEND:
            raise ValueError(f"gpus x gpu_hours x gpu_hour_rate = {spend:,} is above {MAX_SPEND:,}")
    capacity_tokens = positive_integer(cells["capacity_tokens"], "capacity_tokens") if cells["capacity_tokens"] else None
    return Capacity(cells["name"], kind, tuple(models), month, monthly_cost, gpus, gpu_hours, gpu_hour_rate,
                    capacity_tokens, spend, line)


def _check_together(capacities: list[Capacity], path: Path) -> None:
    """Across rows: a capacity once per month and of one kind; a model on one capacity a month."""
    kinds: dict[str, Capacity] = {}
    months: dict[tuple[str, date], Capacity] = {}
    served: dict[tuple[str, date], Capacity] = {}
    for cap in capacities:
        first = kinds.setdefault(cap.name, cap)
        if first.kind != cap.kind:
            raise CapacityFileError(path, cap.file_line, f"capacity {cap.name!r} is {cap.kind} here and "
                                                        f"{first.kind} on line {first.file_line}")
        twice = months.setdefault((cap.name, cap.month), cap)
        if twice is not cap:
            raise CapacityFileError(path, cap.file_line, f"capacity {cap.name!r} is listed for "
                                                        f"{cap.month:%Y-%m} on line {twice.file_line} too")
        for model in cap.models:
            other = served.setdefault((model, cap.month), cap)
            if other is not cap:
                raise CapacityFileError(path, cap.file_line, f"model {model!r} is on capacity {other.name!r} "
                                                            f"(line {other.file_line}) and {cap.name!r} in {cap.month:%Y-%m}")


def load_capacities(con: duckdb.DuckDBPyConnection, path: Path, reprice_closed: bool = False):
    """Replace the store's capacities with a validated file and keep it as a capacity version, in
    one transaction (all or nothing); refused when it would change the cost of a closed month,
    unless `reprice_closed` (analyzer/closing.py). Returns rates.Loaded."""
    import pyarrow as pa

    from analyzer.closing import check_closed_months, closed_month_costs
    from analyzer.history import CAPACITY, file_sha256, record_version
    from analyzer.rates import Loaded

    capacities = read_capacity_file(path)
    sha256 = file_sha256(path)
    column = lambda name: [getattr(c, name) for c in capacities]  # noqa: E731
    decimal = pa.decimal128(18, MAX_DECIMALS)
    loaded = pa.table({
        "name": pa.array(column("name"), pa.string()),
        "kind": pa.array(column("kind"), pa.string()),
        "models": pa.array([list(m) for m in column("models")], pa.list_(pa.string())),
        "month": pa.array(column("month"), pa.date32()),
        "monthly_cost": pa.array(column("monthly_cost"), decimal),
        "gpus": pa.array(column("gpus"), pa.int64()),
        "gpu_hours": pa.array(column("gpu_hours"), decimal),
        "gpu_hour_rate": pa.array(column("gpu_hour_rate"), decimal),
        "capacity_tokens": pa.array(column("capacity_tokens"), pa.int64()),
        "spend": pa.array(column("spend"), pa.decimal128(38, 18)),
        "file_line": pa.array(column("file_line"), pa.int32()),
    })
    con.register("capacity_file", loaded)
    try:
        with transaction(con):
            before = closed_month_costs(con)
            con.execute(query("replace_capacities"))
            version, new = record_version(con, CAPACITY, path, sha256, len(capacities))
            repriced = check_closed_months(con, before, load=f"capacity load {path}", reprice_closed=reprice_closed)
    finally:
        con.unregister("capacity_file")
    con.execute("CHECKPOINT")
    return Loaded(len(capacities), version, new, tuple(repriced))


def list_capacities(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """The capacities as loaded (one row per capacity and month), with their spend."""
    return table(con, "list_capacities")


def capacity_costs(con: duckdb.DuckDBPyConnection, since=None, until=None) -> list[dict]:
    """Each capacity and month whose first day is in [since, until): spend, tokens, effective $/1M,
    utilisation and idle (the capacity_costs view)."""
    return records(con, "capacity_costs_in", {"since": since, "until": until})


def find_capacity(con: duckdb.DuckDBPyConnection, name: str, month: date | None = None) -> dict:
    """One loaded capacity by name, for that month (default: its latest month loaded)."""
    rows = records(con, "capacity_by_name", {"name": name, "month": month})
    if not rows:
        where = f" for {month:%Y-%m}" if month else ""
        raise UsageError(f"no capacity {name!r}{where} is loaded; see `llm-spend capacity list`")
    return rows[0]
