"""FOCUS v1.2 export (FinOps Open Cost and Usage Specification): priced usage as charge rows.

One row per UTC day x model x tenant x mode (split further by feature, environment, project and
provider so each row's Tags are single values), every Mandatory column of FOCUS v1.2, plus some
Conditional and Recommended ones and custom `x_` columns. Costs are exact decimals; ListCost,
ContractedCost and EffectiveCost equal BilledCost (llm-spend knows no negotiated discounts).
Unpriced usage is left out, never written as 0: `FocusExport.left_out` says how much.
Capacity-priced usage carries its share; idle capacity is its own charge row
(CapacityReservationStatus "Unused") when the store has capacity_costs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from analyzer.sqlfiles import first_row, records, scalar

COLUMNS = [
    # Mandatory in FOCUS v1.2
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    # Conditional / Recommended ones llm-spend can fill
    "CapacityReservationId", "CapacityReservationStatus", "ChargeFrequency", "ConsumedQuantity",
    "ConsumedUnit", "ServiceSubcategory", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags",
    # Custom columns
    "x_Model", "x_Mode", "x_Requests", "x_InputTokens", "x_CachedInputTokens", "x_CacheWriteTokens",
    "x_OutputTokens",
]
MONEY = ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost")
QUANTITIES = ("PricingQuantity", "ConsumedQuantity")
COUNTS = ("x_Requests", "x_InputTokens", "x_CachedInputTokens", "x_CacheWriteTokens", "x_OutputTokens")
CAPACITY_MODES = ("dedicated", "gpu_cluster")
IDLE_TENANT = "(idle capacity)"


@dataclass
class FocusExport:
    rows: list[dict[str, Any]]
    left_out_rows: int  # charge rows of unpriced usage left out
    left_out_requests: int
    currency: str

    @property
    def billed_total(self) -> Decimal:
        return sum((row["BilledCost"] for row in self.rows), Decimal(0))


def _tags(row: dict) -> str:
    tags = {k: row[k] for k in ("tenant", "feature", "environment", "project") if row.get(k) is not None}
    return json.dumps(tags, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _publisher(model: str, provider: str | None) -> str:
    return model.split("/", 1)[0] if "/" in model else (provider or "unknown")


def _usage_row(row: dict, currency: str) -> dict[str, Any]:
    provider = row["provider"] or "unknown"
    tokens = Decimal(row["input_tokens"] + row["output_tokens"])
    capacity = row["mode"] in CAPACITY_MODES
    return {
        "BilledCost": row["cost"], "BillingAccountId": provider, "BillingAccountName": provider,
        "BillingCurrency": currency, "BillingPeriodEnd": row["billing_end"], "BillingPeriodStart": row["billing_start"],
        "ChargeCategory": "Usage", "ChargeClass": None,
        "ChargeDescription": f"{row['model']} {row['mode']} tokens",
        "ChargePeriodEnd": row["charge_end"], "ChargePeriodStart": row["charge_start"],
        "ContractedCost": row["cost"], "EffectiveCost": row["cost"], "InvoiceIssuerName": provider,
        "ListCost": row["cost"], "PricingQuantity": tokens, "PricingUnit": "Tokens", "ProviderName": provider,
        "PublisherName": _publisher(row["model"], row["provider"]), "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "LLM inference",
        "CapacityReservationId": None, "CapacityReservationStatus": "Used" if capacity else None,
        "ChargeFrequency": "Usage-Based", "ConsumedQuantity": tokens, "ConsumedUnit": "Tokens",
        "ServiceSubcategory": "Generative AI", "SkuId": row["model"], "SkuPriceId": f"{row['model']}:{row['mode']}",
        "SubAccountId": row["tenant"], "SubAccountName": row["tenant"],
        "SubAccountType": "Tenant" if row["tenant"] is not None else None, "Tags": _tags(row),
        "x_Model": row["model"], "x_Mode": row["mode"], "x_Requests": row["requests"],
        "x_InputTokens": row["input_tokens"], "x_CachedInputTokens": row["cached_input_tokens"],
        "x_CacheWriteTokens": row["cache_write_tokens"], "x_OutputTokens": row["output_tokens"],
    }


def _idle_row(row: dict, currency: str) -> dict[str, Any]:
    start, end = row["charge_start"], row["charge_end"]
    return {
        "BilledCost": row["idle_cost"], "BillingAccountId": row["name"], "BillingAccountName": row["name"],
        "BillingCurrency": currency, "BillingPeriodEnd": end, "BillingPeriodStart": start,
        "ChargeCategory": "Usage", "ChargeClass": None, "ChargeDescription": f"idle capacity of {row['name']}",
        "ChargePeriodEnd": end, "ChargePeriodStart": start, "ContractedCost": row["idle_cost"],
        "EffectiveCost": row["idle_cost"], "InvoiceIssuerName": row["name"], "ListCost": row["idle_cost"],
        "PricingQuantity": None, "PricingUnit": None, "ProviderName": row["name"], "PublisherName": row["name"],
        "ServiceCategory": "AI and Machine Learning", "ServiceName": "LLM inference",
        "CapacityReservationId": row["name"], "CapacityReservationStatus": "Unused",
        "ChargeFrequency": "Recurring", "ConsumedQuantity": None, "ConsumedUnit": None,
        "ServiceSubcategory": "Generative AI", "SkuId": None, "SkuPriceId": None,
        "SubAccountId": None, "SubAccountName": None, "SubAccountType": None,
        "Tags": json.dumps({"tenant": IDLE_TENANT}, separators=(",", ":")),
        "x_Model": None, "x_Mode": row["kind"], "x_Requests": 0, "x_InputTokens": 0, "x_CachedInputTokens": 0,
        "x_CacheWriteTokens": 0, "x_OutputTokens": 0,
    }


def focus_export(con: duckdb.DuckDBPyConnection, flt) -> FocusExport:
    """The FOCUS rows of a report filter (reports.ReportFilter); idle capacity only without a
    tenant filter (idle belongs to no tenant)."""
    currency = scalar(con, "get_setting", {"key": "currency"}) or "USD"
    rows = [_usage_row(row, currency) for row in records(con, "focus_usage", flt.params)]
    if flt.tenant is None and scalar(con, "capacity_view_exists"):
        idle = records(con, "focus_idle_capacity", {"since": flt.since, "until": flt.until})
        rows += [_idle_row(row, currency) for row in idle]
    left = first_row(con, "focus_unpriced", flt.params) or {"charge_rows": 0, "requests": 0}
    return FocusExport(rows, left["charge_rows"], left["requests"], currency)


def focus_csv(export: FocusExport) -> str:
    """CSV with plain decimals (no exponent, no currency sign) and empty cells for nulls."""
    from analyzer import render

    return render.to_csv(COLUMNS, [[row[c] for c in COLUMNS] for row in export.rows])


def write_parquet(export: FocusExport, path: Path) -> None:
    """Parquet with exact decimal columns (DECIMAL(38, 18)), integers and strings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    money = pa.decimal128(38, 18)
    fields = []
    for name in COLUMNS:
        kind = money if name in MONEY or name in QUANTITIES else pa.int64() if name in COUNTS else pa.string()
        fields.append(pa.field(name, kind, nullable=True))
    schema = pa.schema(fields)
    columns = {name: [row[name] for row in export.rows] for name in COLUMNS}
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), path)


def left_out_note(export: FocusExport) -> str | None:
    if not export.left_out_rows:
        return None
    return (f"{export.left_out_rows:,} charge rows of unpriced usage ({export.left_out_requests:,} requests) are "
            "left out of the FOCUS export (no rate: see llm-spend rates unpriced)")
