"""FOCUS charges (CSV or Parquet) as a bill: BilledCost per ChargePeriodStart day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from analyzer.bills.parsing import (
    KEYS,
    Bill,
    BillFormat,
    BillLine,
    BillSource,
    amount_of,
    bill_keys,
    check_mode,
    csv_header,
    csv_rows,
    currency_of,
    text_of,
    utc_instant,
)


def _focus_records(source: BillSource) -> tuple[list[str], Iterator[tuple[str, dict]]]:
    if not source.is_parquet():
        return csv_rows(source)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(source.data))
    except (pa.ArrowException, OSError) as exc:
        raise source.fail(None, f"not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    return table.column_names, ((f"row {i}", row) for i, row in enumerate(table.to_pylist(), start=1))


def _tags(source: BillSource, where: str, value: Any) -> dict:
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, dict):
        return value
    try:
        tags = json.loads(str(value))
    except json.JSONDecodeError:
        raise source.fail(where, "Tags is not JSON (FOCUS Tags is a flat JSON object)") from None
    if not isinstance(tags, dict):
        raise source.fail(where, "Tags is not a JSON object")
    return tags


def _sub_account(row: dict, kind: str, tags: dict) -> str | None:
    if str(row.get("SubAccountType") or "").strip().lower() == kind:
        found = text_of(row.get("SubAccountId"))
        if found is not None:
            return found
    return text_of(tags.get(kind))


def read_focus(source: BillSource) -> Bill:
    header, rows = _focus_records(source)
    missing = [c for c in ("BilledCost", "ChargePeriodStart") if c not in header]
    if missing:
        raise source.fail("line 1" if not source.is_parquet() else None,
                          f"not a FOCUS file: no {' and no '.join(missing)} column")
    model_columns = [c for c in ("x_Model", "SkuId", "ResourceName") if c in header]
    lines: list[BillLine] = []
    skipped = 0
    for where, row in rows:
        category = str(row.get("ChargeCategory") or "").strip().lower()
        if category not in ("", "usage"):
            skipped += 1
            continue
        start = utc_instant(source, where, row.get("ChargePeriodStart"), "ChargePeriodStart")
        if text_of(row.get("ChargePeriodEnd")) is not None:
            end = utc_instant(source, where, row.get("ChargePeriodEnd"), "ChargePeriodEnd")
            if end > datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), timezone.utc):
                raise source.fail(where, "a charge period longer than one UTC day (reconcile compares daily charges)")
        tags = _tags(source, where, row.get("Tags"))
        model = next((m for m in (text_of(row.get(c)) for c in model_columns) if m), None)
        lines.append(BillLine(
            day=start.date(), amount=amount_of(source, where, row.get("BilledCost"), "BilledCost"),
            currency=currency_of(source, where, row.get("BillingCurrency")), where=where, model=model,
            project=_sub_account(row, "project", tags), tenant=_sub_account(row, "tenant", tags),
            mode=check_mode(source, where, row.get("x_Mode"))))
    keys = bill_keys(lines)
    if model_columns and "model" not in keys:
        keys = ("model", *keys)
    return Bill(source.path, "focus", lines, tuple(k for k in KEYS if k in keys), source.sha256, skipped=skipped)




FORMAT = BillFormat("focus", "FOCUS charges (CSV or Parquet): BilledCost per ChargePeriodStart day",
                    lambda source: source.is_parquet() or "BilledCost" in csv_header(source), read_focus)
