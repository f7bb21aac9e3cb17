"""Reconciliation: computed cost (priced_usage) next to a bill, per UTC day x model (and the
project, tenant or mode where the bill carries them), with what explains each difference.

A row's `difference` is billed - computed. `explained_by` names what makes it up EXACTLY:
  - status codes: `unpriced` (usage there, but some of it has no rate: computed is unknown),
    `no_usage` (billed, no records), `no_bill` (records, not billed);
  - re-pricing codes (CANDIDATES): the usage of the row re-priced by the one pricing rule
    (price_usage, queries/views/010_pricing.sql) with the card or the usage changed the way the
    bill may have been computed (e.g. cached tokens at the input rate); the code explains the row
    when that re-priced cost minus the store's own re-priced cost equals the difference to the
    last of the 18 decimal places. A pair of codes explains it when the usage re-priced with both
    changes at once does (their joint effect, not the sum of the two alone: batch rows billed at
    the serverless price with their cached tokens at the input rate are dearer than either), and
    only when no single code does;
  - `unexplained` when nothing above equals the difference; [] when there is none.
The first explanation found (CANDIDATES order, singles before pairs) is `explained_by`; others
that fit exactly as well are in `also_explained_by`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, localcontext
from itertools import combinations
from typing import Any

import duckdb

from analyzer.bills import Bill, BillLine, bill_error
from analyzer.errors import UsageError
from analyzer.sqlfiles import query, records, scalar


@dataclass(frozen=True)
class Candidate:
    code: str
    flag: str  # the scenario flag of queries/reconcile/reconcile.sql
    description: str


CANDIDATES = (
    Candidate("cached_billed_as_input", "cached_as_input", "cached input tokens billed at the input rate"),
    Candidate("cache_write_billed_as_input", "write_as_input", "cache writes billed at the input rate"),
    Candidate("batch_billed_without_discount", "batch_as_serverless", "batch requests billed at the serverless price"),
    Candidate("cache_write_1h_billed_as_5m", "write_1h_as_5m", "1-hour cache writes billed at the 5-minute write rate"),
    Candidate("reasoning_billed_on_top", "reasoning_on_top", "reasoning tokens billed again on top of the output tokens"),
    Candidate("audio_billed_as_text", "audio_as_text", "audio tokens billed at the text rates"),
    Candidate("image_billed_as_text", "image_as_text", "image tokens billed at the text rates"),
    Candidate("request_fee_not_billed", "no_request_fee", "the card's per-request fee not billed"),
    Candidate("web_search_not_billed", "no_web_search", "the card's web-search calls not billed"),
)
STATUS_CODES = {"unpriced": "usage there, but some of it has no rate (computed is unknown)",
                "no_usage": "billed, no usage records", "no_bill": "usage records, not billed",
                "unexplained": "no explanation equals the difference exactly"}
# Scenarios that change the same rate cannot combine.
EXCLUSIVE = {frozenset({"write_as_input", "write_1h_as_5m"})}
KEY_COLUMNS = ("model", "project", "tenant", "mode")
DEFAULT_TOLERANCE = Decimal(1)
EXACT_DIGITS = 80


@dataclass
class Reconciliation:
    bill: Bill
    first_day: date
    last_day: date
    tolerance: Decimal
    currency: str
    rows: list[dict]
    total: dict
    outside: int = 0  # bill lines outside --month

    @property
    def within_tolerance(self) -> bool:
        return bool(self.total["within_tolerance"])

    @property
    def columns(self) -> list[str]:
        return ["date", *self.bill.keys, "requests", "unpriced_requests", "computed", "billed", "difference",
                "explained_by"]

    def document(self) -> dict:
        return {"bill": {"file": str(self.bill.path), "format": self.bill.kind, "sha256": self.bill.sha256,
                         "currency": self.currency, "keys": list(self.bill.keys), "lines": len(self.bill.lines),
                         "lines_outside_period": self.outside, "records_not_charges": self.bill.skipped,
                         "provider": self.bill.provider, "first_day": self.first_day, "last_day": self.last_day},
                "rows": self.rows, "total": self.total}


def parse_tolerance(text: str | None) -> Decimal:
    """--tolerance PCT: a percentage of the billed total, 0 to 100, at most 6 places."""
    if text is None:
        return DEFAULT_TOLERANCE
    try:
        value = Decimal(text.strip().rstrip("%"))
    except ArithmeticError:
        raise UsageError(f"--tolerance {text!r} is not a number (a percentage of the billed total)") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise UsageError(f"--tolerance {text!r} must be between 0 and 100 (percent of the billed total)")
    if value != value.quantize(Decimal("0.000001")):
        raise UsageError(f"--tolerance {text!r} has more than 6 decimal places")
    return value


def month_bounds(month: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise UsageError(f"--month {month!r} is not YYYY-MM") from None
    if not 2000 <= first.year <= 2099:
        raise UsageError(f"--month {month} is out of range: usage times are from 2000-01-01 to 2099-12-31")
    return first, date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc)


def reconcile(con: duckdb.DuckDBPyConnection, bill: Bill, *, month: str | None = None,
              tolerance: Decimal = DEFAULT_TOLERANCE) -> Reconciliation:
    """Compare `bill` with the store's computed cost over `month` (default: the bill's days)."""
    with localcontext() as context:
        context.prec = EXACT_DIGITS  # sums of DECIMAL(38, 18) amounts, never rounded
        return _reconcile(con, bill, month, tolerance)


def _reconcile(con: duckdb.DuckDBPyConnection, bill: Bill, month: str | None, tolerance: Decimal) -> Reconciliation:
    currency = scalar(con, "get_setting", {"key": "currency"}) or "USD"
    if bill.currency != currency:
        raise bill_error(bill.path, bill.lines[0].where,
                      f"the bill is in {bill.currency}, the store prices in {currency} (its rate card): "
                      "reconcile compares one currency, convert the bill first")
    lines = bill.lines
    if month:
        first, following = month_bounds(month)
        lines = [line for line in bill.lines if first <= line.day < following]
        if not lines:
            raise bill_error(bill.path, None, f"no charges in {month} (the bill covers "
                                           f"{min(x.day for x in bill.lines)} to {max(x.day for x in bill.lines)})")
    else:
        first, following = min(x.day for x in lines), max(x.day for x in lines) + timedelta(days=1)
    keys = bill.keys
    con.execute(query("create_reconcile_settings"), {"since": _midnight(first), "until": _midnight(following),
                                                      "provider": bill.provider, "keys": list(keys)})
    try:
        con.execute(query("create_reconcile_views"))
        computed = {_key(r, "k_"): r for r in records(con, "reconcile_computed")}
        billed: dict[tuple, Decimal] = {}
        for line in lines:
            key = _line_key(line, keys)
            billed[key] = billed.get(key, Decimal(0)) + line.amount
        rows = {key: _row(key, keys, computed.get(key), billed.get(key)) for key in {*computed, *billed}}
        _explain(con, rows, computed)
    finally:
        con.execute(query("drop_reconcile"))
    ordered = [rows[k] for k in sorted(rows, key=_sort_key)]
    total = _total(ordered, tolerance)
    return Reconciliation(bill, first, following - timedelta(days=1), tolerance, currency,
                          [_public(r, keys) for r in ordered], total, len(bill.lines) - len(lines))


def _key(row: dict, prefix: str) -> tuple:
    return (row[prefix + "day"], *(row[prefix + k] for k in KEY_COLUMNS))


def _line_key(line: BillLine, keys: tuple[str, ...]) -> tuple:
    return (line.day, *(getattr(line, k) if k in keys else None for k in KEY_COLUMNS))


def _sort_key(key: tuple) -> tuple:
    return tuple((v is None, v if v is not None else "") if i else v for i, v in enumerate(key))


def _row(key: tuple, keys: tuple[str, ...], computed: dict | None, billed: Decimal | None) -> dict:
    row: dict[str, Any] = {"date": key[0], **dict(zip(KEY_COLUMNS, key[1:]))}
    requests = computed["requests"] if computed else 0
    unpriced = computed["unpriced_requests"] if computed else 0
    cost = (computed["cost"] if computed["cost"] is not None else Decimal(0)) if computed else Decimal(0)
    known = cost if unpriced == 0 else None
    amount = billed if billed is not None else Decimal(0)
    row.update(requests=requests, unpriced_requests=unpriced, computed=known, billed=amount,
               difference=None if known is None else amount - known, explained_by=[], also_explained_by=[])
    if computed is None:
        row["explained_by"] = ["no_usage"]
    elif billed is None:
        row["explained_by"] = ["no_bill"] + (["unpriced"] if unpriced else [])
    elif unpriced:
        row["explained_by"] = ["unpriced"]
    elif row["difference"] != 0:
        row["explained_by"] = ["unexplained"]  # until a candidate below fits
    return row


def _explain(con: duckdb.DuckDBPyConnection, rows: dict[tuple, dict], computed: dict[tuple, dict]) -> None:
    """Try each candidate (then pairs) on the rows still unexplained, by re-pricing their usage."""
    open_rows = {k: r for k, r in rows.items() if r["explained_by"] == ["unexplained"]}
    if not open_rows:
        return
    applicable = [c for c in CANDIDATES if any(computed[k][c.flag] for k in open_rows)]
    if not applicable:
        return
    base = _scenario_costs(con, [])
    deltas: dict[str, dict[tuple, Decimal]] = {}
    for candidate in applicable:
        deltas[candidate.code] = _deltas(_scenario_costs(con, [candidate.flag]), base, open_rows)
        _match(open_rows, deltas[candidate.code], [candidate.code])
    for a, b in combinations(applicable, 2):
        if frozenset({a.flag, b.flag}) in EXCLUSIVE:
            continue
        # rows no single code explains (a pair found before may have an equally exact alternative)
        pending = {k: r for k, r in open_rows.items() if (r["explained_by"] == ["unexplained"] or len(r["explained_by"]) == 2)
                   and deltas[a.code].get(k) and deltas[b.code].get(k)}
        if pending:
            _match(pending, _deltas(_scenario_costs(con, [a.flag, b.flag]), base, pending), [a.code, b.code])


def _scenario_costs(con: duckdb.DuckDBPyConnection, flags: list[str]) -> dict[tuple, dict]:
    con.execute(query("create_reconcile_scenario"), {"flags": flags})
    con.execute(query("create_reconcile_scenario_objects"))
    return {_key(r, "k_"): r for r in records(con, "reconcile_scenario_costs")}


def _deltas(scenario: dict[tuple, dict], base: dict[tuple, dict], rows: dict[tuple, dict]) -> dict[tuple, Decimal]:
    """Scenario cost - the store's own re-priced cost, for the rows fully priced both ways."""
    found = {}
    for key in rows:
        s, b = scenario.get(key), base.get(key)
        if s and b and s["unpriced_requests"] == 0 and b["unpriced_requests"] == 0:
            found[key] = (s["cost"] or Decimal(0)) - (b["cost"] or Decimal(0))
    return found


def _match(rows: dict[tuple, dict], deltas: dict[tuple, Decimal], codes: list[str]) -> None:
    for key, row in rows.items():
        delta = deltas.get(key)
        if delta is None or delta == 0 or delta != row["difference"]:
            continue
        if row["explained_by"] == ["unexplained"]:
            row["explained_by"] = list(codes)
        elif len(codes) == len(row["explained_by"]):
            row["also_explained_by"].append(list(codes))


def _public(row: dict, keys: tuple[str, ...]) -> dict:
    """The row with the keys the bill carries only (JSON, CSV, table and the stored rows)."""
    shown = {"date": row["date"], **{k: row[k] for k in keys}}
    shown.update({k: row[k] for k in ("requests", "unpriced_requests", "computed", "billed", "difference",
                                      "explained_by", "also_explained_by")})
    return shown


def _total(rows: list[dict], tolerance: Decimal) -> dict:
    computed = None if any(r["computed"] is None for r in rows) else sum((r["computed"] for r in rows), Decimal(0))
    billed = sum((r["billed"] for r in rows), Decimal(0))
    difference = None if computed is None else billed - computed
    allowed = billed.copy_abs() * tolerance / 100
    unexplained = sum((r["difference"] for r in rows if r["explained_by"] == ["unexplained"]), Decimal(0))
    return {"requests": sum(r["requests"] for r in rows), "unpriced_requests": sum(r["unpriced_requests"] for r in rows),
            "computed": computed, "billed": billed, "difference": difference, "unexplained": unexplained,
            "tolerance_pct": tolerance, "tolerance": allowed,
            "within_tolerance": difference is not None and difference.copy_abs() <= allowed}


# ---------------------------------------------------------------- the last reconciliation, stored


@dataclass
class StoredReconciliation:
    run: dict
    rows: list[dict] = field(default_factory=list)
    total: dict = field(default_factory=dict)


def store_reconciliation(con: duckdb.DuckDBPyConnection, result: Reconciliation) -> int:
    """Keep `result` for the HTML report (one transaction), replacing older reconciliations whose
    days all lie in its months. Returns its run id."""
    import pyarrow as pa

    from analyzer.store import transaction

    month_start = result.first_day.replace(day=1)
    end = result.last_day.replace(day=1)
    month_end = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    money = pa.decimal128(38, 18)
    table = pa.table({
        "day": pa.array([r["date"] for r in result.rows], pa.date32()),
        **{k: pa.array([r.get(k) for r in result.rows], pa.string()) for k in KEY_COLUMNS},
        "requests": pa.array([r["requests"] for r in result.rows], pa.int64()),
        "unpriced_requests": pa.array([r["unpriced_requests"] for r in result.rows], pa.int64()),
        **{k: pa.array([_q(r[k]) for r in result.rows], money) for k in ("computed", "billed", "difference")},
        "explained_by": pa.array([r["explained_by"] for r in result.rows], pa.list_(pa.string())),
    })
    total = result.total
    with transaction(con):
        run_id = scalar(con, "next_reconciliation_id")
        for name in ("drop_covered_reconciliation_rows", "drop_covered_reconciliations"):
            con.execute(query(name), {"month_start": month_start, "month_end": month_end})
        con.execute(query("insert_reconciliation"), {
            "run_id": run_id, "bill_file": str(result.bill.path.resolve()), "bill_format": result.bill.kind,
            "bill_sha256": result.bill.sha256, "first_day": result.first_day, "last_day": result.last_day,
            "keys": list(result.bill.keys), "currency": result.currency, "tolerance_pct": result.tolerance,
            "computed": total["computed"], "billed": total["billed"], "difference": total["difference"],
            "within_tolerance": result.within_tolerance})
        con.register("reconciled_rows", table)
        try:
            con.execute("INSERT INTO reconciliation_rows SELECT $run_id AS run_id, * FROM reconciled_rows",
                        {"run_id": run_id})
        finally:
            con.unregister("reconciled_rows")
    return run_id


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal(1).scaleb(-18))


def stored_reconciliation(con: duckdb.DuckDBPyConnection, since: datetime | None,
                          until: datetime | None) -> StoredReconciliation | None:
    """The newest stored reconciliation with a day in [since, until), its rows in that window and
    their totals (None when no bill has been reconciled for those days)."""
    from analyzer.sqlfiles import first_row

    params = {"since": since, "until": until}
    run = first_row(con, "latest_reconciliation", params)
    if run is None:
        return None
    rows = records(con, "reconciliation_rows", params | {"run_id": run["run_id"]})
    if not rows:
        return None
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        return StoredReconciliation(run, rows, _stored_total(rows))


def _stored_total(rows: list[dict]) -> dict:
    computed = None if any(r["computed"] is None for r in rows) else sum((r["computed"] for r in rows), Decimal(0))
    billed = sum((r["billed"] for r in rows), Decimal(0))
    total = {"requests": sum(r["requests"] for r in rows), "computed": computed, "billed": billed,
             "difference": None if computed is None else billed - computed,
             "rows": len(rows), "explained": sum(1 for r in rows if r["explained_by"] not in ([], ["unexplained"])),
             "unexplained": sum(1 for r in rows if r["explained_by"] == ["unexplained"])}
    return total
