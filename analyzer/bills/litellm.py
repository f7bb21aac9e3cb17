"""LiteLLM SpendLogs as a bill: LiteLLM's own `spend` per request (JSON, JSON Lines or the CSV table)."""

from __future__ import annotations

from typing import Any

from analyzer.bills.parsing import (
    Bill,
    BillFormat,
    BillLine,
    BillSource,
    amount_of,
    csv_header,
    csv_rows,
    first_json_record,
    json_records,
    looks_json,
    text_of,
    utc_day,
)


def is_litellm(record: Any) -> bool:
    return isinstance(record, dict) and all(k in record for k in ("request_id", "spend", "startTime"))


def _litellm_line(source: BillSource, where: str, record: dict) -> BillLine | None:
    if str(record.get("status") or "").strip().lower() == "failure":
        return None
    model = text_of(record.get("model")) or text_of(record.get("model_group"))
    if model is None:
        raise source.fail(where, "no model (model and model_group are empty)")
    return BillLine(day=utc_day(source, where, record.get("startTime"), "startTime"),
                    amount=amount_of(source, where, record.get("spend"), "spend"), currency="USD",
                    where=where, model=model)


def read_litellm(source: BillSource) -> Bill:
    lines: list[BillLine] = []
    skipped = 0
    if looks_json(source):
        records = json_records(source)
    else:
        header, rows = csv_rows(source)
        missing = [c for c in ("request_id", "spend", "startTime") if c not in header]
        if missing:
            raise source.fail("line 1", f"not a LiteLLM SpendLogs table: no {', '.join(missing)} column")
        records = rows
    for where, record in records:
        if isinstance(record, dict) and "data" in record and not is_litellm(record):
            raise source.fail(where, "not a SpendLogs row (export the rows as a JSON array or JSON Lines)")
        if not is_litellm(record):
            raise source.fail(where, "not a LiteLLM SpendLogs row (needs request_id, spend, startTime)")
        line = _litellm_line(source, where, record)
        if line is None:
            skipped += 1
        else:
            lines.append(line)
    return Bill(source.path, "litellm", lines, ("model",), source.sha256, skipped=skipped)




def detect(source: BillSource) -> bool:
    header = csv_header(source)
    return is_litellm(first_json_record(source)) or all(c in header for c in ("request_id", "spend", "startTime"))


FORMAT = BillFormat("litellm", "LiteLLM SpendLogs' own spend (JSON, JSON Lines or the CSV table)", detect, read_litellm)
