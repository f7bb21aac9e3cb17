"""OpenAI organization Costs API pages as a bill: one line per result of a daily bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analyzer.bills.parsing import (
    Bill,
    BillFormat,
    BillLine,
    BillSource,
    amount_of,
    bill_keys,
    currency_of,
    first_json_record,
    json_records,
    text_of,
    utc_instant,
)


def is_costs(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    if record.get("object") == "page":
        return isinstance(record.get("data"), list)
    if record.get("object") == "bucket":
        return isinstance(record.get("results"), list)
    return record.get("object") == "organization.costs.result"


def line_item_model(line_item: str | None) -> str | None:
    """The model a Costs API line item names ("gpt-4o-2024-08-06, input" -> gpt-4o-2024-08-06),
    None for one without a model part ("input_tokens", null)."""
    if not line_item or ", " not in line_item:
        return None
    return line_item.rsplit(", ", 1)[0].strip() or None


def read_openai_costs(source: BillSource) -> Bill:
    lines: list[BillLine] = []
    for where, record in json_records(source):
        if not is_costs(record):
            raise source.fail(where, "not a Costs API page, bucket or result")
        pages = record["data"] if record.get("object") == "page" else [record]
        for b, bucket in enumerate(pages, start=1):
            at = f"{where} bucket {b}" if record.get("object") == "page" else where
            if not isinstance(bucket, dict) or bucket.get("object") != "bucket":
                if isinstance(bucket, dict) and bucket.get("object") == "organization.costs.result":
                    raise source.fail(at, "a cost result outside a bucket has no start_time (export whole pages)")
                raise source.fail(at, "not a Costs API bucket")
            start = utc_instant(source, at, bucket.get("start_time"), "start_time")
            end = bucket.get("end_time")
            if end is not None and utc_instant(source, at, end, "end_time") - start > timedelta(days=1):
                raise source.fail(at, "a bucket longer than a day (reconcile compares days: bucket_width=1d)")
            results = bucket.get("results")
            if not isinstance(results, list):
                raise source.fail(at, "a bucket without results")
            for r, result in enumerate(results, start=1):
                place = f"{at} result {r}"
                if not isinstance(result, dict):
                    raise source.fail(place, "a result is not a JSON object")
                amount = result.get("amount")
                if not isinstance(amount, dict):
                    raise source.fail(place, "no amount")
                lines.append(BillLine(
                    day=start.date(), amount=amount_of(source, place, amount.get("value"), "amount.value"),
                    currency=currency_of(source, place, amount.get("currency")), where=place,
                    model=line_item_model(text_of(result.get("line_item"))), project=text_of(result.get("project_id"))))
    keys = tuple(k for k in bill_keys(lines) if k in ("model", "project"))
    return Bill(source.path, "openai-costs", lines, keys, source.sha256, provider="openai")




FORMAT = BillFormat("openai-costs", "OpenAI organization Costs API pages (JSON / JSON Lines)",
                    lambda source: is_costs(first_json_record(source)), read_openai_costs)
