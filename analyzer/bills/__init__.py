"""Bills for `llm-spend reconcile`: what a provider or a gateway charged, read from one file into
lines of (UTC day, model, amount) and the keys the bill carries (project, tenant, mode).

Bill formats, one entry each in BILL_FORMATS (detected from the file, or forced by name):
  openai-costs  OpenAI organization Costs API pages (JSON or JSON Lines): one line per result of
                a bucket; the model is the part of `line_item` before its last ", " (as in
                "gpt-4o-2024-08-06, input"); a line item that names no model leaves the model
                out of the comparison. Project: project_id. Compared with usage of provider openai.
  litellm       LiteLLM SpendLogs (JSON, JSON Lines or the CSV table export): LiteLLM's own
                `spend` per request, on the UTC day of startTime, model (else model_group).
                Rows with status failure are not charges.
  focus         FOCUS files (CSV or Parquet): BilledCost on the UTC day of ChargePeriodStart
                (charges of at most one day); the model is x_Model (llm-spend's own export),
                else SkuId, else ResourceName; tenant and project from SubAccountId when
                SubAccountType says Tenant / Project, else from Tags; mode from x_Mode. Only
                ChargeCategory Usage rows are charges (taxes, credits and purchases are skipped).
  csv           A plain CSV with the header date,model,amount and optionally project, tenant,
                mode, currency (other columns are ignored).

Amounts are exact decimals (JSON numbers are read as their text, never as floats). A file that
cannot be read is one BadBill line naming the file, the line (or record) and the reason.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.bills import focus, litellm, openai_costs, plain_csv
from analyzer.bills.parsing import KEYS, Bill, BillFormat, BillLine, BillSource, bill_error

__all__ = ["BILL_FORMATS", "KEYS", "Bill", "BillLine", "bill_error", "detect_bill_format", "read_bill"]


# Detection order: the first format whose detect() accepts the file wins (specific shapes first).
BILL_FORMATS: dict[str, BillFormat] = {f.name: f for f in [
    openai_costs.FORMAT,
    litellm.FORMAT,
    focus.FORMAT,
    plain_csv.FORMAT,
]}
NAMES = "|".join(BILL_FORMATS)


def detect_bill_format(source: BillSource) -> str:
    """The bill format of a file, from its content (Parquet magic, JSON shape or CSV header)."""
    for bill_format in BILL_FORMATS.values():
        if bill_format.detect(source):
            return bill_format.name
    raise source.fail(None, "not a bill llm-spend reads: not Costs API pages, LiteLLM SpendLogs, FOCUS "
                            f"(BilledCost) or a date,model,amount CSV (pass --bill-format {NAMES})")


def read_bill(path: Path, kind: str | None = None) -> Bill:
    """Read and check a whole bill file; the first problem is one BadBill line."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise bill_error(path, None, f"cannot read it ({exc.strerror or exc})") from None
    source = BillSource(Path(path), data)
    if not data.strip():
        raise source.fail(None, "the file is empty")
    if kind is not None and kind not in BILL_FORMATS:
        raise bill_error(path, None, f"unknown bill format {kind!r}: one of {', '.join(BILL_FORMATS)}")
    kind = kind or detect_bill_format(source)
    bill = BILL_FORMATS[kind].read(source)
    if not bill.lines:
        raise source.fail(None, "no charges in the file" + (f" ({bill.skipped} records are not usage charges)"
                                                            if bill.skipped else ""))
    first = bill.lines[0].currency
    for line in bill.lines:
        if line.currency != first:
            raise source.fail(line.where, f"currency {line.currency} differs from {first} "
                                          f"(first charge, {bill.lines[0].where}): one bill, one currency")
    return bill
